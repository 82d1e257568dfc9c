import { QualitySchema } from '@ganzhi/schemas';
import type { Quality, RawEnvelope, Reading } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import {
  HJ212_CRC_VARIANTS,
  decodeHj212,
  detectHj212CrcVariant,
  hj212Crc,
  hj212CrcMatches,
  type Hj212CrcVariant,
  type Hj212Frame,
} from './hj212';
import { AIR_MONITOR_METRICS } from './metrics';
import { HJ212_CODES, HJ212_ST_AMBIENT, HJ212_ST_FOR_KIND, HJ212_ST_NAMES, type AirMetric } from './hj212-codes';
import { declaredUnit, toCanonical } from './units';
import { fail, show, type Failure, type NormalizeResult } from './result';
import { makeReading, payloadBytes, type Metrics } from './reading';
import { implausibleTs, parseHj212Time } from './time';

export type { AirMetric };

/** Data uploads that become readings, with the state `interval` they carry (§1.5 table 9). */
export const HJ212_DATA_CNS = { '2011': 'realtime', '2051': 'minute', '2061': 'hour', '2031': 'day' } as const;
type Interval = (typeof HJ212_DATA_CNS)[keyof typeof HJ212_DATA_CNS];
/** CN -> interval; a Map so that `CN=toString` is not a data command. */
const DATA_CNS: ReadonlyMap<string, Interval> = new Map(Object.entries(HJ212_DATA_CNS));

/**
 * Reading period and metric-name suffix per interval: real-time and minute values keep the plain
 * metric name (they are the inputs of the derived means); hour and day values are the 1-hour and
 * natural-day means (`pm25_1h`, `pm25_day`), the names the derived means use (packages/rules).
 */
const PERIOD_OF: Readonly<Record<Interval, { period: Reading['period']; suffix: string }>> = {
  realtime: { period: undefined, suffix: '' },
  minute: { period: 'minute', suffix: '' },
  hour: { period: 'hour', suffix: '_1h' },
  day: { period: 'day', suffix: '_day' },
};

const CN_NAMES: ReadonlyMap<string, string> = new Map([
  ['1011', 'device time'],
  ['1013', 'time calibration request'],
  ['1062', 'set real-time interval'],
  ['2021', 'facility run state'],
  ['2041', 'daily run time'],
  ['2081', 'data-logger restart time'],
  ['3020', 'site info'],
  ['9011', 'request answer'],
  ['9012', 'execution result'],
  ['9013', 'notification answer'],
  ['9014', 'data answer'],
  ['9015', 'heartbeat'],
]);

const QUALITIES = new Set<string>(QualitySchema.options);
const NUMBER_RE = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const NON_FINITE_RE = /^\s*[+-]?(?:nan|inf|infinity)\s*$/i;

/** HJ 212 `-Flag` to a reading quality; unknown flags count as D (not valid for assessment). */
export function hj212Quality(flag: string | undefined): Quality {
  if (flag === undefined || flag === '') return 'N';
  const f = flag.trim().toUpperCase();
  return QUALITIES.has(f) ? (f as Quality) : 'D';
}

/** The CRC variant configured for a device (attribute `crc`, default 'hj212'). */
export function deviceCrcVariant(device: Device): Hj212CrcVariant | Failure {
  const v = device.attributes.crc;
  if (v === undefined) return 'hj212';
  if (typeof v === 'string' && (HJ212_CRC_VARIANTS as readonly string[]).includes(v)) return v as Hj212CrcVariant;
  return fail('GANZHI_ERR_NORM_UNSUPPORTED', `device attribute crc ${show(v)} is not one of ${HJ212_CRC_VARIANTS.join('|')}`);
}

/** Checks one decoded frame's length and CRC against the device's configured variant. */
export function checkHj212Frame(frame: Hj212Frame, variant: Hj212CrcVariant): Failure | undefined {
  if (!frame.lenValid) return fail('GANZHI_ERR_NORM_BAD_FRAME', `declared length ${frame.declaredLen} does not match the ${frame.segmentBytes.length}-byte data segment`);
  if (hj212CrcMatches(frame, variant)) return undefined;
  const other = detectHj212CrcVariant(frame);
  const hint = other === null ? 'no known variant matches' : `it verifies as "${other}": set the device attribute crc`;
  return fail('GANZHI_ERR_NORM_BAD_CRC', `CRC ${frame.crcInFrame} does not verify with "${variant}" (computed ${hj212Crc(frame.segmentBytes, variant)}); ${hint}`);
}

/** The readings of one HJ 212 data frame from an air monitor. */
export function hj212FrameToReading(frame: Hj212Frame, raw: RawEnvelope, device: Device): Reading | Failure {
  const cn = frame.CN ?? '';
  const interval = DATA_CNS.get(cn);
  if (interval === undefined) {
    const name = CN_NAMES.get(cn);
    return fail('GANZHI_ERR_NORM_UNSUPPORTED', `HJ 212 CN ${show(cn)}${name ? ` (${name})` : ''} carries no readings; supported: 2011, 2051, 2061, 2031`);
  }
  if (device.kind !== 'air_monitor') {
    return fail('GANZHI_ERR_NORM_UNSUPPORTED', `HJ 212 data is mapped for air_monitor devices only, not ${device.kind}`);
  }
  const st = checkSt(frame, device);
  if (typeof st !== 'string') return st;
  const mn = device.attributes.mn;
  if (typeof mn === 'string' && frame.MN !== mn) {
    return fail('GANZHI_ERR_NORM_UNKNOWN_DEVICE', `MN ${show(frame.MN)} is not the MN ${show(mn)} registered for device ${device.id}`);
  }

  let ts = raw.receivedAt;
  const dataTime = frame.cp.fields.DataTime;
  if (dataTime !== undefined) {
    const t = parseHj212Time(dataTime);
    if (t === undefined) return fail('GANZHI_ERR_NORM_BAD_FRAME', `DataTime ${show(dataTime)} is not YYYYMMDDhhmmss`);
    ts = t;
  } else if (frame.QN !== undefined) {
    ts = parseHj212Time(frame.QN) ?? ts; // QN is a request id first: a malformed one is not fatal
  }
  const bad = implausibleTs(ts, raw.receivedAt);
  if (bad !== undefined) return fail('GANZHI_ERR_NORM_OUT_OF_RANGE', bad);

  const { period, suffix } = PERIOD_OF[interval];
  // Real-time uploads carry -Rtd; minute/hour/day uploads carry -Avg. Accept the other as a fallback.
  const [first, second] = interval === 'realtime' ? ['Rtd', 'Avg'] : ['Avg', 'Rtd'];
  const metrics: Metrics = {};
  let count = 0;
  const pollutants = frame.cp.pollutants;
  const decimalComma = frame.cp.orphans.find((o) => /^\d+$/.test(o.text) && HJ212_CODES.has(o.after.slice(0, o.after.indexOf('-'))));
  if (decimalComma !== undefined) {
    return fail('GANZHI_ERR_NORM_SCHEMA', `${decimalComma.after}: "${decimalComma.value},${decimalComma.text}" has a decimal comma; HJ 212 numbers use "." (§6.3.3: "," separates values)`);
  }
  for (const code in pollutants) {
    const codeSpec = HJ212_CODES.get(code);
    if (codeSpec === undefined) continue;
    const base = codeSpec.metric;
    const name = base + suffix;
    if (Object.hasOwn(metrics, name)) continue;
    const item = pollutants[code]!;
    const suffixKey = item[first] !== undefined ? first : second;
    const text = item[suffixKey];
    if (text === undefined) continue;
    const what = `${code}-${suffixKey}`;
    const parsed = parseHj212Number(what, text);
    if (typeof parsed !== 'number') return parsed;
    const spec = AIR_MONITOR_METRICS[base];
    const unit = declaredUnit(device, code, base) ?? (st === HJ212_ST_AMBIENT ? codeSpec.ambient : codeSpec.other);
    if (unit === undefined) {
      return fail('GANZHI_ERR_NORM_UNIT', `${what}: no default unit for ST ${st} (the standard prints ${codeSpec.printed ?? 'none'}); declare it on the device model (units.${code})`);
    }
    const converted = toCanonical(what, base, parsed, unit, spec.unit);
    if ('ok' in converted) return converted;
    const value = converted.value;
    if (value < spec.min || value > spec.max) {
      return fail('GANZHI_ERR_NORM_OUT_OF_RANGE', `${name} (${what}): ${value} outside ${spec.min}..${spec.max} ${spec.unit}`);
    }
    const mv: Metrics[string] = { value, unit: spec.unit, quality: hj212Quality(item.Flag) };
    if (converted.receivedUnit !== undefined) mv.receivedUnit = converted.receivedUnit;
    metrics[name] = mv;
    count++;
  }
  if (count === 0) {
    const codes = Object.keys(pollutants);
    return fail('GANZHI_ERR_NORM_UNSUPPORTED', `HJ 212 CN ${cn}: no supported factor code in CP (found: ${codes.length > 0 ? codes.slice(0, 12).join(', ') : 'none'})`);
  }
  const reading = makeReading(raw, device, ts, metrics, { interval });
  if (period !== undefined) reading.period = period;
  return reading;
}

/**
 * A CP value as a number, or a typed failure naming the item: HJ 212 numbers are plain decimals
 * (optional sign, `.` as the decimal point, optional exponent); anything else is refused.
 */
export function parseHj212Number(what: string, text: string): number | Failure {
  if (!NUMBER_RE.test(text)) {
    if (NON_FINITE_RE.test(text)) return fail('GANZHI_ERR_NORM_NOT_FINITE', `${what}: ${show(text)} is not a finite number`);
    return fail('GANZHI_ERR_NORM_SCHEMA', `${what}: expected number, got ${show(text)}`);
  }
  const value = Number(text);
  if (!Number.isFinite(value)) return fail('GANZHI_ERR_NORM_NOT_FINITE', `${what}: ${show(text)} is not a finite number`);
  return value;
}

/** The frame's ST checked against the device kind (or the device attribute `st`); the ST, or a failure. */
function checkSt(frame: Hj212Frame, device: Device): string | Failure {
  const st = frame.ST;
  const attr = device.attributes.st;
  const accepted = attr !== undefined ? String(attr).split(',').map((x) => x.trim()) : (HJ212_ST_FOR_KIND.get(device.kind) ?? []);
  if (st === undefined) return fail('GANZHI_ERR_NORM_UNSUPPORTED', `HJ 212 frame has no ST; ${device.kind} devices accept ST ${accepted.join('/')}`);
  if (accepted.includes(st)) return st;
  const name = HJ212_ST_NAMES.get(st);
  return fail('GANZHI_ERR_NORM_UNSUPPORTED', `HJ 212 ST ${show(st)}${name ? ` (${name})` : ''} is not a system type of ${device.kind} devices (accepted: ${accepted.join('/')}; set the device attribute st to change it)`);
}

/** Upper bound on frames in one payload; each frame is at least 12 bytes anyway. */
const MAX_FRAMES = 256;

/** An HJ 212 payload (one frame, or several back to back) to readings, one per data frame. */
export function decodeHj212Telemetry(raw: RawEnvelope, device: Device): NormalizeResult {
  const variant = deviceCrcVariant(device);
  if (typeof variant !== 'string') return variant;
  const bytes = payloadBytes(raw);
  const readings: Reading[] = [];
  let offset = 0;
  for (let n = 0; n < MAX_FRAMES; n++) {
    const decoded = decodeHj212(bytes, offset);
    if (!decoded.ok) return decoded;
    const { frame, end } = decoded.value;
    const bad = checkHj212Frame(frame, variant);
    if (bad !== undefined) return bad;
    const reading = hj212FrameToReading(frame, raw, device);
    if ('ok' in reading) return reading;
    readings.push(reading);
    offset = end;
    while (offset < bytes.length && (bytes[offset] === 0x0d || bytes[offset] === 0x0a || bytes[offset] === 0x20)) offset++;
    if (offset >= bytes.length) return { ok: true, readings };
  }
  return fail('GANZHI_ERR_NORM_BAD_FRAME', `more than ${MAX_FRAMES} frames in one payload`);
}
