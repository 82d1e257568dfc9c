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
import { fail, show, type Failure, type NormalizeResult } from './result';
import { makeReading, payloadBytes, type Metrics } from './reading';
import { implausibleTs, parseHj212Time } from './time';

export type AirMetric = keyof typeof AIR_MONITOR_METRICS;

/**
 * HJ 212 factor codes mapped to air-monitor metrics (domain README §1.7): the 2017 codes, O3 from
 * HJ 524-2009, and the vendor codes seen on ambient monitors. Values are taken in the units
 * ambient monitors actually send (ug/m3; CO in mg/m3), not the standard's printed defaults.
 */
export const HJ212_AIR_CODES: Readonly<Record<string, AirMetric>> = {
  a34004: 'pm25',
  a34002: 'pm10',
  a21026: 'so2',
  a21004: 'no2',
  a21005: 'co',
  a05024: 'o3',
  a01001: 'temperature',
  a01002: 'humidity',
  PM25: 'pm25',
  PM10: 'pm10',
  O3: 'o3',
  TEMP: 'temperature',
  HUMI: 'humidity',
};

/** The standard code an encoder should use for each air metric. */
export const HJ212_CODE_FOR_METRIC: Readonly<Record<AirMetric, string>> = {
  pm25: 'a34004',
  pm10: 'a34002',
  so2: 'a21026',
  no2: 'a21004',
  co: 'a21005',
  o3: 'a05024',
  temperature: 'a01001',
  humidity: 'a01002',
};

/** Data uploads that become readings, with the state `interval` they carry (§1.5 table 9). */
export const HJ212_DATA_CNS = { '2011': 'realtime', '2051': 'minute', '2061': 'hour', '2031': 'day' } as const;
type DataCn = keyof typeof HJ212_DATA_CNS;

const CN_NAMES: Record<string, string> = {
  '1011': 'device time',
  '1013': 'time calibration request',
  '1062': 'set real-time interval',
  '2021': 'facility run state',
  '2041': 'daily run time',
  '2081': 'data-logger restart time',
  '3020': 'site info',
  '9011': 'request answer',
  '9012': 'execution result',
  '9013': 'notification answer',
  '9014': 'data answer',
  '9015': 'heartbeat',
};

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
  if (!(cn in HJ212_DATA_CNS)) {
    const name = CN_NAMES[cn];
    return fail('GANZHI_ERR_NORM_UNSUPPORTED', `HJ 212 CN ${show(cn)}${name ? ` (${name})` : ''} carries no readings; supported: 2011, 2051, 2061, 2031`);
  }
  if (device.kind !== 'air_monitor') {
    return fail('GANZHI_ERR_NORM_UNSUPPORTED', `HJ 212 data is mapped for air_monitor devices only, not ${device.kind}`);
  }
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

  const interval = HJ212_DATA_CNS[cn as DataCn];
  // Real-time uploads carry -Rtd; minute/hour/day uploads carry -Avg. Accept the other as a fallback.
  const [first, second] = interval === 'realtime' ? ['Rtd', 'Avg'] : ['Avg', 'Rtd'];
  const metrics: Metrics = {};
  let count = 0;
  const pollutants = frame.cp.pollutants;
  for (const code in pollutants) {
    const name = HJ212_AIR_CODES[code];
    if (name === undefined || metrics[name] !== undefined) continue;
    const item = pollutants[code]!;
    const suffix = item[first] !== undefined ? first : second;
    const text = item[suffix];
    if (text === undefined) continue;
    if (!NUMBER_RE.test(text)) {
      if (NON_FINITE_RE.test(text)) return fail('GANZHI_ERR_NORM_NOT_FINITE', `${code}-${suffix}: ${show(text)} is not a finite number`);
      return fail('GANZHI_ERR_NORM_SCHEMA', `${code}-${suffix}: expected number, got ${show(text)}`);
    }
    const value = Number(text);
    if (!Number.isFinite(value)) return fail('GANZHI_ERR_NORM_NOT_FINITE', `${code}-${suffix}: ${show(text)} is not a finite number`);
    const spec = AIR_MONITOR_METRICS[name];
    if (value < spec.min || value > spec.max) {
      return fail('GANZHI_ERR_NORM_OUT_OF_RANGE', `${name} (${code}-${suffix}): ${value} outside ${spec.min}..${spec.max} ${spec.unit}`);
    }
    metrics[name] = { value, unit: spec.unit, quality: hj212Quality(item.Flag) };
    count++;
  }
  if (count === 0) {
    const codes = Object.keys(pollutants);
    return fail('GANZHI_ERR_NORM_UNSUPPORTED', `HJ 212 CN ${cn}: no supported factor code in CP (found: ${codes.length > 0 ? codes.slice(0, 12).join(', ') : 'none'})`);
  }
  return makeReading(raw, device, ts, metrics, { interval });
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
