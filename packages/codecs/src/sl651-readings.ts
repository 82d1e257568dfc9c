import type { RawEnvelope, Reading } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import { RIVER_GAUGE_METRICS } from './metrics';
import { fail, show, type Failure, type NormalizeResult } from './result';
import { makeReading, type Metrics, type States } from './reading';
import { decodeSl651Frame, sl651Bytes, type Sl651Frame } from './sl651';
import { decodeSl651Body, type Sl651Body } from './sl651-body';
import { implausibleTs, parseSl651Time } from './time';
import { crc16Modbus, hex4, swap16 } from './crc';
import { SL651_ASCII_SOH, decodeSl651AsciiBody, decodeSl651AsciiFrame } from './sl651-ascii';

export type RiverMetric = keyof typeof RIVER_GAUGE_METRICS;

/** SL 651 element identifiers mapped to river-gauge metrics (domain README §2.5). */
export const SL651_RIVER_METRICS: ReadonlyMap<string, RiverMetric> = new Map([
  ['Z', 'waterLevel'],
  ['PJ', 'rainToday'],
  ['P1', 'rain1h'],
  ['PT', 'rainTotal'],
  ['VT', 'batteryV'],
  ['Q', 'flow'],
]);

/** Up-frame functions whose elements become readings: test, uniform, timed, add, hourly reports and query answers. */
export const SL651_DATA_FUNCS: ReadonlySet<number> = new Set([0x30, 0x31, 0x32, 0x33, 0x34, 0x37, 0x38, 0x3a, 0x46]);

/** ZT status bits carried as boolean states (Appendix C table 58); 1 = alarm or fault. */
const ZT_STATES: readonly (readonly [number, string])[] = [
  [0, 'acPowerLost'],
  [1, 'batteryLow'],
  [2, 'waterLevelAlarm'],
  [3, 'flowAlarm'],
  [4, 'waterQualityAlarm'],
  [5, 'flowMeterFault'],
  [6, 'levelMeterFault'],
  [8, 'memoryFault'],
];

export const SL651_CRC_VARIANTS = ['modbus-be', 'modbus-le', 'none'] as const;
export type Sl651CrcVariant = (typeof SL651_CRC_VARIANTS)[number];

function sl651Variant(device: Device): Sl651CrcVariant | Failure {
  const v = device.attributes.crc;
  if (v === undefined) return 'modbus-be';
  if (typeof v === 'string' && (SL651_CRC_VARIANTS as readonly string[]).includes(v)) return v as Sl651CrcVariant;
  return fail('GANZHI_ERR_NORM_UNSUPPORTED', `device attribute crc ${show(v)} is not one of ${SL651_CRC_VARIANTS.join('|')} for SL 651`);
}

function checkCrc(frame: Sl651Frame, bytes: Uint8Array, offset: number, variant: Sl651CrcVariant): Failure | undefined {
  if (variant === 'none' || frame.crcValid) return undefined;
  if (variant === 'modbus-le') {
    const computed = hex4(swap16(crc16Modbus(bytes, offset, offset + 15 + frame.bodyLen)));
    if (computed === frame.crcInFrame) return undefined;
  }
  return fail('GANZHI_ERR_NORM_BAD_CRC', `CRC ${frame.crcInFrame} does not verify (CRC-16/MODBUS computes ${frame.crcCalc}, high byte first)`);
}

function frameProblem(frame: Pick<Sl651Frame, 'lenValid' | 'bodyLen' | 'direction' | 'startChar' | 'funcCode'>): Failure | undefined {
  if (!frame.lenValid) return fail('GANZHI_ERR_NORM_BAD_FRAME', `declared body length ${frame.bodyLen} does not match the frame`);
  if (frame.direction === 'down') return fail('GANZHI_ERR_NORM_UNSUPPORTED', 'SL 651 down-frame (centre to station) carries no readings');
  if (frame.startChar === 'SYN') return fail('GANZHI_ERR_NORM_UNSUPPORTED', 'SL 651 multi-packet (M3) frames are not reassembled');
  if (!SL651_DATA_FUNCS.has(frame.funcCode)) {
    const fn = frame.funcCode.toString(16).toUpperCase().padStart(2, '0');
    return fail('GANZHI_ERR_NORM_UNSUPPORTED', `SL 651 function ${fn}H${fn === '2F' ? ' (link keep-alive)' : ''} carries no readings`);
  }
  return undefined;
}

/** One reading per distinct observation time of a data body. */
export function sl651BodyToReadings(body: Sl651Body, raw: RawEnvelope, device: Device): Reading[] | Failure {
  const groups = new Map<string, { metrics: Metrics; states: States | undefined; count: number }>();
  const group = (obs: string | undefined) => {
    const key = obs ?? body.sendTime;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { metrics: {}, states: undefined, count: 0 }));
    return g;
  };
  for (const el of body.elements) {
    if (el.id === 'ZT' && el.value !== null) {
      const g = group(el.obsTime);
      const states: States = (g.states ??= {});
      for (const [bit, name] of ZT_STATES) states[name] = ((el.value >>> bit) & 1) === 1;
      g.count++;
      continue;
    }
    const name = SL651_RIVER_METRICS.get(el.id);
    if (name === undefined || el.value === null) {
      if (name !== undefined && el.invalid) return fail('GANZHI_ERR_NORM_BAD_FRAME', `element ${el.id} is not valid BCD`);
      continue;
    }
    const spec = RIVER_GAUGE_METRICS[name];
    if (el.value < spec.min || el.value > spec.max) {
      return fail('GANZHI_ERR_NORM_OUT_OF_RANGE', `${name} (${el.id}): ${el.value} outside ${spec.min}..${spec.max} ${spec.unit}`);
    }
    const g = group(el.obsTime);
    g.metrics[name] = { value: el.value, unit: spec.unit, quality: 'N' };
    g.count++;
  }
  const readings: Reading[] = [];
  for (const [digits, g] of groups) {
    if (g.count === 0) continue;
    const ts = parseSl651Time(digits);
    if (ts === undefined) return fail('GANZHI_ERR_NORM_BAD_FRAME', `observation time ${digits} is not a valid YYMMDDhhmm[ss]`);
    const bad = implausibleTs(ts, raw.receivedAt);
    if (bad !== undefined) return fail('GANZHI_ERR_NORM_OUT_OF_RANGE', bad);
    readings.push(makeReading(raw, device, ts, g.metrics, g.states));
  }
  if (readings.length === 0) {
    const ids = body.elements.map((e) => e.id).concat(body.series.map((s) => s.id));
    return fail('GANZHI_ERR_NORM_UNSUPPORTED', `SL 651 body has no supported element (found: ${ids.length > 0 ? ids.slice(0, 12).join(', ') : 'none'})`);
  }
  return readings;
}

const MAX_FRAMES = 64;

/** An SL 651 HEX payload (binary as base64, or hex text) to river-gauge readings. */
export function decodeSl651Telemetry(raw: RawEnvelope, device: Device): NormalizeResult {
  const variant = sl651Variant(device);
  if (typeof variant !== 'string') return variant;
  const bytes = sl651Bytes(raw.payload, raw.encoding);
  if (bytes === undefined) return fail('GANZHI_ERR_NORM_BAD_FRAME', 'payload is neither base64 SL 651 bytes nor hex text');
  if (bytes.length === 0) return fail('GANZHI_ERR_NORM_BAD_FRAME', 'SL 651 payload is empty');
  if (device.kind !== 'river_gauge') return fail('GANZHI_ERR_NORM_UNSUPPORTED', `SL 651 data is mapped for river_gauge devices only, not ${device.kind}`);
  const station = device.attributes.station;
  const readings: Reading[] = [];
  let offset = 0;
  for (let n = 0; n < MAX_FRAMES && offset < bytes.length; n++) {
    if (bytes[offset] === SL651_ASCII_SOH) {
      // ASCII mode (§6.4): its own framing, the same element table and readings
      const a = decodeSl651AsciiFrame(bytes, offset);
      if (!a.ok) return a;
      const { frame, end } = a.value;
      const crcOk = variant === 'none' || frame.crcValid || (variant === 'modbus-le' && hex4(swap16(parseInt(frame.crcCalc, 16))) === frame.crcInFrame);
      if (!crcOk) return fail('GANZHI_ERR_NORM_BAD_CRC', `CRC ${frame.crcInFrame} does not verify (CRC-16/MODBUS computes ${frame.crcCalc}, high byte first, ASCII mode)`);
      const problem = frameProblem({ ...frame, lenValid: true, startChar: 'STX' });
      if (problem !== undefined) return problem;
      if (typeof station === 'string' && station.toUpperCase() !== frame.station) {
        return fail('GANZHI_ERR_NORM_UNKNOWN_DEVICE', `station ${frame.station} is not the station ${show(station)} registered for device ${device.id}`);
      }
      const body = decodeSl651AsciiBody(frame);
      if (!body.ok) return body;
      const rs = sl651BodyToReadings(body.value, raw, device);
      if (!Array.isArray(rs)) return rs;
      for (const r of rs) readings.push(r);
      offset = end;
      continue;
    }
    const decoded = decodeSl651Frame(bytes, offset);
    if (!decoded.ok) return decoded;
    const { frame, end } = decoded.value;
    const problem = checkCrc(frame, bytes, offset, variant) ?? frameProblem(frame);
    if (problem !== undefined) return problem;
    if (typeof station === 'string' && station.toUpperCase() !== frame.station) {
      return fail('GANZHI_ERR_NORM_UNKNOWN_DEVICE', `station ${frame.station} is not the station ${show(station)} registered for device ${device.id}`);
    }
    const body = decodeSl651Body(frame);
    if (!body.ok) return body;
    const rs = sl651BodyToReadings(body.value, raw, device);
    if (!Array.isArray(rs)) return rs;
    for (const r of rs) readings.push(r);
    offset = end;
  }
  if (offset < bytes.length) return fail('GANZHI_ERR_NORM_BAD_FRAME', `more than ${MAX_FRAMES} frames in one payload`);
  return { ok: true, readings };
}
