import { z } from 'zod';
import { QualitySchema } from '@ganzhi/schemas';
import type { DeviceKind, Quality, RawEnvelope } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import {
  AIR_MONITOR_METRICS as AIR,
  CRANE_STATES,
  FIRE_SENSOR_METRICS as FIRE,
  METRICS,
  PORT_DEVICE_METRICS as PORT,
  RIVER_GAUGE_METRICS as RIVER,
  type MetricSpec,
} from './metrics';
import { fail, show, typeName, type Failure, type NormalizeResult } from './result';
import { makeReading, payloadText, type Metrics, type States } from './reading';
import { implausibleTs, parseIsoTime } from './time';
import { declaredUnit, toCanonical } from './units';
import { payloadChecks } from './payload-check';

/*
 * JSON telemetry, one schema per device kind (README "JSON payloads"). Strict about the types of
 * the fields it knows, lenient about fields it does not know (they are dropped). `null` means
 * "no value this time" and is treated like an absent field.
 */

const metric = (spec: MetricSpec) => z.number().min(spec.min).max(spec.max).nullish();

const common = {
  /** Sampling instant: epoch milliseconds or ISO 8601 with a zone. Default: the gateway's receivedAt. */
  ts: z.union([z.number(), z.string()]).optional(),
  /** Device-side sequence number; accepted, not used (the envelope id identifies the message). */
  seq: z.number().int().nonnegative().optional(),
  /** Per-metric HJ 212-style quality flag; default N. */
  quality: z.record(z.string(), QualitySchema).optional(),
};

export const RiverGaugePayloadSchema = z.object({
  ...common,
  waterLevel: metric(RIVER.waterLevel),
  rainfall: metric(RIVER.rainfall),
  rain1h: metric(RIVER.rain1h),
  rainToday: metric(RIVER.rainToday),
  rainTotal: metric(RIVER.rainTotal),
  flow: metric(RIVER.flow),
  batteryV: metric(RIVER.batteryV),
});

/** AQI fields (`aqi`, `AQI`, ...) are not inputs: the platform derives AQI. Like any unknown field they are dropped. */
export const AirMonitorPayloadSchema = z.object({
  ...common,
  pm25: metric(AIR.pm25),
  pm10: metric(AIR.pm10),
  so2: metric(AIR.so2),
  no2: metric(AIR.no2),
  o3: metric(AIR.o3),
  co: metric(AIR.co),
  temperature: metric(AIR.temperature),
  humidity: metric(AIR.humidity),
});

export const FireSensorPayloadSchema = z.object({
  ...common,
  /** Obscuration in %/m, or a detector's alarm as a boolean (becomes metric `smokeAlarm` 0/1). */
  smoke: z.union([z.number().min(FIRE.smoke.min).max(FIRE.smoke.max), z.boolean()]).nullish(),
  temperature: metric(FIRE.temperature),
  /** Alias of `temperature` for heat detectors. */
  heat: metric(FIRE.temperature),
  hydrantPressure: metric(FIRE.hydrantPressure),
  sprinklerPressure: metric(FIRE.sprinklerPressure),
  residualCurrent: metric(FIRE.residualCurrent),
  cableTemperature: metric(FIRE.cableTemperature),
  battery: metric(FIRE.battery),
  /** Free text such as `smoke`, `heat`, `hydrant`, `electrical`: carried as a state. */
  sensorType: z.string().min(1).max(64).nullish(),
});

export const PortDevicePayloadSchema = z.object({
  ...common,
  windSpeed: metric(PORT.windSpeed),
  windGust: metric(PORT.windGust),
  windDirection: metric(PORT.windDirection),
  craneState: z.enum(CRANE_STATES).nullish(),
  reeferSupplyTemp: metric(PORT.reeferSupplyTemp),
  reeferReturnTemp: metric(PORT.reeferReturnTemp),
  reeferSetpoint: metric(PORT.reeferSetpoint),
  reeferPower: z.boolean().nullish(),
  reeferDefrost: z.boolean().nullish(),
});

export const PAYLOAD_SCHEMAS = {
  river_gauge: RiverGaugePayloadSchema,
  air_monitor: AirMonitorPayloadSchema,
  fire_sensor: FireSensorPayloadSchema,
  port_device: PortDevicePayloadSchema,
} as const satisfies Record<DeviceKind, z.ZodType>;

export type RiverGaugePayload = z.input<typeof RiverGaugePayloadSchema>;
export type AirMonitorPayload = z.input<typeof AirMonitorPayloadSchema>;
export type FireSensorPayload = z.input<typeof FireSensorPayloadSchema>;
export type PortDevicePayload = z.input<typeof PortDevicePayloadSchema>;

/** The compiled checks of PAYLOAD_SCHEMAS (the fast path; zod names the field when one refuses). */
const checkOf = payloadChecks(PAYLOAD_SCHEMAS);

/** Numeric inputs per kind, as [input field, metric name]; the first present input wins a metric. */
const NUMERIC_INPUTS: Record<DeviceKind, readonly (readonly [string, string])[]> = {
  river_gauge: Object.keys(RIVER).map((k) => [k, k] as const),
  air_monitor: Object.keys(AIR).map((k) => [k, k] as const),
  fire_sensor: [
    ['temperature', 'temperature'],
    ['heat', 'temperature'],
    ['hydrantPressure', 'hydrantPressure'],
    ['sprinklerPressure', 'sprinklerPressure'],
    ['residualCurrent', 'residualCurrent'],
    ['cableTemperature', 'cableTemperature'],
    ['battery', 'battery'],
  ],
  port_device: Object.keys(PORT).map((k) => [k, k] as const),
};

/** The fields that count as "a metric or state is present", per kind, for the reason text. */
const INPUT_NAMES: Record<DeviceKind, string> = {
  river_gauge: Object.keys(RIVER).join(', '),
  air_monitor: Object.keys(AIR).join(', '),
  fire_sensor: ['smoke', ...NUMERIC_INPUTS.fire_sensor.map(([k]) => k)].join(', '),
  port_device: [...Object.keys(PORT), 'craneState', 'reeferPower', 'reeferDefrost'].join(', '),
};

/** What each field expects, for "expected X, got Y" reasons. */
const EXPECTS: Record<string, string> = {
  ts: 'epoch milliseconds or ISO 8601 date-time with a zone',
  seq: 'non-negative integer',
  quality: `object of metric -> one of ${QualitySchema.options.join('|')}`,
  smoke: 'number or boolean',
  sensorType: 'string of 1..64 characters',
  craneState: `one of ${CRANE_STATES.join('|')}`,
  reeferPower: 'boolean',
  reeferDefrost: 'boolean',
};

// "NaN", "Infinity", "-inf": strings that a device meant as a non-finite number.
const NON_FINITE_TEXT = /^\s*[+-]?(?:nan|inf|infinity)\s*$/i;

function isNonFinite(v: unknown): boolean {
  return (typeof v === 'number' && !Number.isFinite(v)) || (typeof v === 'string' && NON_FINITE_TEXT.test(v));
}

function issueFailure(kind: DeviceKind, issue: z.core.$ZodIssue, data: Record<string, unknown>): Failure {
  const path = issue.path.map(String);
  let value: unknown = data;
  for (const p of path) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[p] : undefined;
  const key = path[0] ?? 'payload';
  const at = path.length > 0 ? path.join('.') : 'payload';
  const spec = METRICS[kind][key === 'heat' ? 'temperature' : key];
  if (path.length === 1 && typeof value === 'number' && spec !== undefined) {
    return fail('GANZHI_ERR_NORM_OUT_OF_RANGE', `${key}: ${value} outside ${spec.min}..${spec.max} ${spec.unit}`);
  }
  if (path[0] === 'quality' && path.length === 2) {
    return fail('GANZHI_ERR_NORM_SCHEMA', `${at}: expected one of ${QualitySchema.options.join('|')}, got ${show(value)}`);
  }
  const expects = EXPECTS[key] ?? (spec !== undefined ? 'number' : issue.message);
  return fail('GANZHI_ERR_NORM_SCHEMA', `${at}: expected ${expects}, got ${typeName(value)}${typeof value === 'string' || typeof value === 'number' ? ` ${show(value)}` : ''}`);
}

/** A per-metric flag from the payload's `quality` object (own properties only). */
function qualityOf(quality: Record<string, Quality> | undefined, key: string): Quality | undefined {
  return quality !== undefined && Object.hasOwn(quality, key) ? quality[key] : undefined;
}

/** JSON telemetry of any kind to readings (always one reading). The device is already checked. */
export function decodeJsonTelemetry(raw: RawEnvelope, device: Device): NormalizeResult {
  let doc: unknown;
  try {
    doc = JSON.parse(payloadText(raw));
  } catch (err) {
    return fail('GANZHI_ERR_NORM_NOT_JSON', `payload is not JSON: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return fail('GANZHI_ERR_NORM_SCHEMA', `payload: expected object, got ${typeName(doc)}`);
  }
  const kind = device.kind;
  let obj = doc as Record<string, unknown>;
  const inputs = NUMERIC_INPUTS[kind];
  for (let i = 0; i < inputs.length; i++) {
    const key = inputs[i]![0];
    if (isNonFinite(obj[key])) return fail('GANZHI_ERR_NORM_NOT_FINITE', `${key}: ${show(obj[key])} is not a finite number`);
  }
  if (isNonFinite(obj.ts)) return fail('GANZHI_ERR_NORM_NOT_FINITE', `ts: ${show(obj.ts)} is not a finite number`);
  if (kind === 'fire_sensor' && isNonFinite(obj.smoke)) return fail('GANZHI_ERR_NORM_NOT_FINITE', `smoke: ${show(obj.smoke)} is not a finite number`);

  // Units declared by the device model: numbers converted to the canonical unit before the
  // range checks (which are in canonical units); the received unit is kept on the value.
  let received: Map<string, string> | undefined;
  if (device.units !== undefined) {
    for (let i = 0; i < inputs.length; i++) {
      const [key, name] = inputs[i]!;
      const v = obj[key];
      const unit = declaredUnit(device, key, name);
      if (unit === undefined || typeof v !== 'number') continue;
      const converted = toCanonical(key, name, v, unit, METRICS[kind][name]!.unit);
      if ('ok' in converted) return converted;
      if (converted.receivedUnit === undefined) continue;
      if (received === undefined) {
        received = new Map();
        obj = { ...obj };
      }
      obj[key] = converted.value;
      received.set(name, converted.receivedUnit);
    }
  }
  // The compiled check accepts what the schema accepts; only a refused payload is parsed by zod,
  // for the field and reason. The fields read below are the schema's, so unknown ones need no
  // stripping.
  let data = obj as Record<string, unknown> & { ts?: number | string; quality?: Record<string, Quality> };
  if (!checkOf(kind)(obj)) {
    const parsed = PAYLOAD_SCHEMAS[kind].safeParse(obj);
    if (!parsed.success) return issueFailure(kind, parsed.error.issues[0]!, obj);
    data = parsed.data as typeof data;
  }

  let ts = raw.receivedAt;
  if (typeof data.ts === 'number') ts = Math.round(data.ts);
  else if (typeof data.ts === 'string') {
    const t = parseIsoTime(data.ts);
    if (t === undefined) return fail('GANZHI_ERR_NORM_SCHEMA', `ts: expected ${EXPECTS.ts}, got string ${show(data.ts)}`);
    ts = t;
  }
  const bad = implausibleTs(ts, raw.receivedAt);
  if (bad !== undefined) return fail('GANZHI_ERR_NORM_OUT_OF_RANGE', bad);

  const specs = METRICS[kind];
  const quality = data.quality;
  const metrics: Metrics = {};
  let count = 0;
  for (let i = 0; i < inputs.length; i++) {
    const [key, name] = inputs[i]!;
    const v = data[key];
    if (typeof v !== 'number' || metrics[name] !== undefined) continue;
    metrics[name] = { value: v, unit: specs[name]!.unit, quality: qualityOf(quality, key) ?? qualityOf(quality, name) ?? 'N' };
    const ru = received?.get(name);
    if (ru !== undefined) metrics[name].receivedUnit = ru;
    count++;
  }
  let states: States | undefined;
  let stateCount = 0;
  if (kind === 'fire_sensor') {
    const smoke = data.smoke;
    if (typeof smoke === 'number') {
      metrics.smoke = { value: smoke, unit: FIRE.smoke.unit, quality: qualityOf(quality, 'smoke') ?? 'N' };
      count++;
    } else if (typeof smoke === 'boolean') {
      metrics.smokeAlarm = { value: smoke ? 1 : 0, unit: FIRE.smokeAlarm.unit, quality: qualityOf(quality, 'smoke') ?? qualityOf(quality, 'smokeAlarm') ?? 'N' };
      count++;
    }
    if (typeof data.sensorType === 'string') states = { sensorType: data.sensorType };
  } else if (kind === 'port_device') {
    if (typeof data.craneState === 'string') {
      states = { craneState: data.craneState };
      stateCount++;
    }
    if (typeof data.reeferPower === 'boolean') {
      (states ??= {}).reeferPower = data.reeferPower;
      stateCount++;
    }
    if (typeof data.reeferDefrost === 'boolean') {
      (states ??= {}).reeferDefrost = data.reeferDefrost;
      stateCount++;
    }
  }
  if (count === 0 && stateCount === 0) {
    return fail('GANZHI_ERR_NORM_SCHEMA', `payload: no metric; expected at least one of ${INPUT_NAMES[kind]}`);
  }
  return { ok: true, readings: [makeReading(raw, device, ts, metrics, states)] };
}
