import { z } from 'zod';
import { DeviceKindSchema, IdSchema, LevelSchema, PayloadFormatSchema, type DeviceKind, type Level } from '@ganzhi/schemas';
import { AttributesSchema } from '@ganzhi/registry';
import { parseDuration } from '../duration';

/*
 * The scenario file format (simulators/README.md "Scenario files"). JSON, validated here; every
 * time is a duration string (`90s`, `15m`, `1h30m`, `2d`) relative to the scenario start.
 */

const durationOf = (allowNegative: boolean) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined || (!allowNegative && ms < 0)) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a${allowNegative ? '' : ' non-negative'} duration such as 90s, 15m, 1h30m or 2d` });
      return z.NEVER;
    }
    return ms;
  });
/** A non-negative duration in milliseconds. */
export const DurationSchema = durationOf(false);
/** A signed duration in milliseconds (clock offsets). */
export const OffsetSchema = durationOf(true);

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;
export const InstantSchema = z
  .string()
  .regex(ISO_WITH_ZONE, 'must be an ISO 8601 date-time with a zone, e.g. 2025-07-10T00:00:00+08:00')
  .transform((s) => Date.parse(s));

/** A grade as a colour (`red`) or as its national numeral (`I` = red ... `IV` = blue). */
export const GradeSchema = z.preprocess(
  (v) => (typeof v === 'string' ? ({ I: 'red', II: 'orange', III: 'yellow', IV: 'blue' } as Record<string, string>)[v] ?? v : v),
  LevelSchema,
);

const ParamValueSchema = z.union([z.number().finite(), z.string().max(256), z.boolean(), z.array(z.string().max(64)).max(32)]);
export type ParamValue = z.infer<typeof ParamValueSchema>;

export const ScenarioDeviceSchema = z.object({
  id: IdSchema,
  kind: DeviceKindSchema,
  /** Payload format on the telemetry topic; must match the device's registry entry. */
  format: PayloadFormatSchema.default('json'),
  /** Heartbeat report interval; default per kind (gauge/air 300 s, fire 600 s, port 60 s). */
  intervalSec: z.number().int().positive().max(86_400).optional(),
  /** Sampling step for report-on-change (deadband) devices; default: the report interval (fire sensors: 10 s). */
  sampleSec: z.number().int().positive().max(86_400).optional(),
  /** Registry attributes the model uses (a gauge's warningLevel, guaranteedLevel, historicalMax, ...). */
  attributes: AttributesSchema.default({}),
  /**
   * Units the device sends, by protocol code or metric name (e.g. `{ "a21026": "mg/m3" }`): must
   * match its registry model. Values are converted from the canonical units before encoding.
   */
  units: z.record(z.string().min(1).max(64), z.string().min(1).max(16)).optional(),
  /** Model parameters (see the model of the kind); unknown names are refused by the model. */
  params: z.record(z.string().min(1).max(64), ParamValueSchema).default({}),
  /** MQTT password; default from the run's password template (`demo-{id}`). */
  password: z.string().min(1).max(256).optional(),
});
export type ScenarioDevice = z.infer<typeof ScenarioDeviceSchema>;

/** A level: metres, or a device attribute plus an offset (`{ "attribute": "historicalMax", "plus": 0.4 }`). */
export const LevelTargetSchema = z.union([
  z.number().finite(),
  z.object({ attribute: z.string().min(1).max(64), plus: z.number().finite().default(0) }),
]);
export type LevelTarget = z.infer<typeof LevelTargetSchema>;

const base = {
  /** Name by which expectations refer to the event (`"after": "rain-starts"`). */
  id: IdSchema.optional(),
  /** When, from the scenario start. */
  at: DurationSchema,
  /** Target devices; default: every device of the kinds the event applies to. */
  devices: z.array(IdSchema).min(1).optional(),
  note: z.string().max(500).optional(),
};

export const FAULT_VARIANTS = ['truncated', 'garbage', 'wrong-type', 'out-of-range', 'non-finite', 'bad-crc'] as const;
export type MalformedVariant = (typeof FAULT_VARIANTS)[number];

export const EventSchema = z.discriminatedUnion('type', [
  // --- the world ---
  z.object({
    ...base,
    type: z.literal('rain'),
    duration: DurationSchema,
    peakMmPerHour: z.number().positive().max(300),
    /** Crest the gauges reach (before noise); default: a rise of `metresPerMm` per mm of rain. */
    crest: LevelTargetSchema.optional(),
    /** From the rain's peak to the level's crest. */
    lag: DurationSchema.default(6 * 3_600_000),
    /** From the crest back to about a third of the rise. */
    recession: DurationSchema.default(18 * 3_600_000),
  }),
  z.object({
    ...base,
    type: z.literal('haze'),
    rampUp: DurationSchema.default(6 * 3_600_000),
    hold: DurationSchema.default(12 * 3_600_000),
    rampDown: DurationSchema.default(6 * 3_600_000),
    /** PM2.5 at the height of the episode, ug/m3. */
    pm25: z.number().positive().max(2000),
    pm10Ratio: z.number().min(1).max(5).default(1.45),
    no2Factor: z.number().min(1).max(5).default(1.5),
    coFactor: z.number().min(1).max(5).default(1.8),
    so2Factor: z.number().min(1).max(5).default(1.4),
  }),
  z.object({
    ...base,
    type: z.literal('fire'),
    /** t-squared growth class (NFPA 72): slow 600 s, medium 300 s, fast 150 s, ultrafast 75 s to 1 MW. */
    growth: z.enum(['slow', 'medium', 'fast', 'ultrafast']).default('medium'),
    /** Smouldering (smoke, little heat) before flaming growth starts. */
    smoulder: DurationSchema.default(5 * 60_000),
    /** Sprinklers open at 68 degC at the ceiling: the pipe pressure drops and the fire is held. */
    sprinklers: z.boolean().default(true),
    /** When the fire brigade opens hydrants, after ignition; none when absent. */
    hydrantAfter: DurationSchema.optional(),
    /** When the fire is out, after ignition. */
    outAfter: DurationSchema.default(60 * 60_000),
  }),
  z.object({
    ...base,
    type: z.literal('electrical-fault'),
    ramp: DurationSchema.default(30 * 60_000),
    hold: DurationSchema.default(2 * 3_600_000),
    residualCurrent: z.number().positive().max(4000).default(600),
    cableTemperature: z.number().max(250).default(95),
  }),
  z.object({
    ...base,
    type: z.literal('pressure-loss'),
    metric: z.enum(['hydrantPressure', 'sprinklerPressure']).default('hydrantPressure'),
    to: z.number().min(0).max(5),
    over: DurationSchema.default(10 * 60_000),
    hold: DurationSchema.default(3_600_000),
  }),
  z.object({
    ...base,
    type: z.literal('typhoon'),
    rampUp: DurationSchema.default(12 * 3_600_000),
    hold: DurationSchema.default(4 * 3_600_000),
    rampDown: DurationSchema.default(10 * 3_600_000),
    /** 10-minute mean wind at the height of the passage, m/s. */
    peakWind: z.number().positive().max(85),
    gustFactor: z.number().min(1).max(2.5).default(1.4),
    /** How far the wind veers during the passage, degrees. */
    veer: z.number().min(-360).max(360).default(150),
  }),
  z.object({ ...base, type: z.literal('reefer-power-loss'), duration: DurationSchema }),
  z.object({
    ...base,
    type: z.literal('crane'),
    state: z.enum(['operating', 'idle', 'parked', 'stowed']),
    duration: DurationSchema.optional(),
  }),
  z.object({
    ...base,
    type: z.literal('ramp'),
    metric: z.string().min(1).max(64),
    to: z.number().finite(),
    over: DurationSchema,
    hold: DurationSchema.default(0),
    /** Time to return to the model's value after the hold; default `over`. */
    back: DurationSchema.optional(),
  }),
  // --- field faults ---
  z.object({
    ...base,
    type: z.literal('dropout'),
    duration: DurationSchema,
    /** silent: connected but quiet; disconnect: clean (status offline); crash: socket dropped (last will). */
    mode: z.enum(['silent', 'disconnect', 'crash']).default('crash'),
  }),
  z.object({ ...base, type: z.literal('stuck'), duration: DurationSchema, metrics: z.array(z.string().min(1)).optional() }),
  z.object({ ...base, type: z.literal('spike'), metric: z.string().min(1).max(64), value: z.number().finite(), count: z.number().int().positive().max(100).default(1) }),
  z.object({ ...base, type: z.literal('malformed'), variant: z.enum(FAULT_VARIANTS).default('truncated'), count: z.number().int().positive().max(1000).default(1) }),
  z.object({ ...base, type: z.literal('clock-skew'), offset: OffsetSchema, duration: DurationSchema.optional() }),
  z.object({
    ...base,
    type: z.literal('reconnect-storm'),
    count: z.number().int().positive().max(1000).default(20),
    every: DurationSchema.default(2000),
  }),
]);
export type ScenarioEvent = z.infer<typeof EventSchema>;
export type EventType = ScenarioEvent['type'];

/** Which kinds each world event applies to (faults apply to any kind). */
export const EVENT_KINDS: Readonly<Record<EventType, readonly DeviceKind[]>> = {
  rain: ['river_gauge'],
  haze: ['air_monitor'],
  fire: ['fire_sensor'],
  'electrical-fault': ['fire_sensor'],
  'pressure-loss': ['fire_sensor'],
  typhoon: ['port_device'],
  'reefer-power-loss': ['port_device'],
  crane: ['port_device'],
  ramp: DeviceKindSchema.options,
  dropout: DeviceKindSchema.options,
  stuck: DeviceKindSchema.options,
  spike: DeviceKindSchema.options,
  malformed: DeviceKindSchema.options,
  'clock-skew': DeviceKindSchema.options,
  'reconnect-storm': DeviceKindSchema.options,
};

export const ExpectedAlertSchema = z.object({
  device: IdSchema,
  rule: IdSchema,
  /** The grade the alert must reach (raised, upgraded or reactivated at it) inside the window. */
  grade: GradeSchema,
  /** An event id, or `start`. */
  after: z.string().min(1).default('start'),
  /** The window: from the event's time to this long after it (scenario time). */
  within: DurationSchema,
  note: z.string().max(500).optional(),
});
export type ExpectedAlert = z.infer<typeof ExpectedAlertSchema>;

/** Alerts that may or may not be raised (neither required nor unexpected), e.g. a flapping edge. */
export const AllowedAlertSchema = z.object({
  device: z.union([IdSchema, z.literal('*')]),
  rule: IdSchema.optional(),
  grades: z.array(GradeSchema).min(1).optional(),
  note: z.string().max(500).optional(),
});
export type AllowedAlert = z.infer<typeof AllowedAlertSchema>;

export const ScenarioSchema = z
  .object({
    $schema: z.string().optional(),
    name: IdSchema,
    title: z.string().min(1).max(200),
    description: z.string().max(4000).default(''),
    seed: z.number().int().nonnegative().max(2 ** 32 - 1),
    /** Scenario clock at t = 0 (payload timestamps are this plus the offset). */
    start: InstantSchema,
    duration: DurationSchema.refine((ms) => ms > 0 && ms <= 14 * 86_400_000, 'must be more than 0 and at most 14d'),
    /** With a controllable clock: how often the time-driven checks (absence, hold timers) run. */
    sweepEvery: DurationSchema.refine((ms) => ms >= 1000, 'must be at least 1s').default(60_000),
    devices: z.array(ScenarioDeviceSchema).min(1).max(10_000),
    events: z.array(EventSchema).max(10_000).default([]),
    expect: z.array(ExpectedAlertSchema).max(10_000).default([]),
    allow: z.array(AllowedAlertSchema).max(1000).default([]),
  })
  .superRefine((s, ctx) => {
    const devices = new Map<string, DeviceKind>();
    s.devices.forEach((d, i) => {
      if (devices.has(d.id)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'id'], message: `duplicate device "${d.id}"` });
      devices.set(d.id, d.kind);
      if (d.format === 'hj212' && d.kind !== 'air_monitor') ctx.addIssue({ code: 'custom', path: ['devices', i, 'format'], message: 'hj212 is for air_monitor devices' });
      if (d.format === 'sl651' && d.kind !== 'river_gauge') ctx.addIssue({ code: 'custom', path: ['devices', i, 'format'], message: 'sl651 is for river_gauge devices' });
      if (d.format === 'gbt26875' && d.kind !== 'fire_sensor') ctx.addIssue({ code: 'custom', path: ['devices', i, 'format'], message: 'gbt26875 is for fire_sensor devices (a UITD)' });
    });
    const events = new Set<string>(['start']);
    s.events.forEach((e, i) => {
      if (e.id !== undefined) {
        if (events.has(e.id)) ctx.addIssue({ code: 'custom', path: ['events', i, 'id'], message: `duplicate event id "${e.id}"` });
        events.add(e.id);
      }
      if (e.at > s.duration) ctx.addIssue({ code: 'custom', path: ['events', i, 'at'], message: 'is after the end of the scenario' });
      (e.devices ?? []).forEach((id, j) => {
        const kind = devices.get(id);
        if (kind === undefined) ctx.addIssue({ code: 'custom', path: ['events', i, 'devices', j], message: `no device "${id}" in this scenario` });
        else if (!EVENT_KINDS[e.type].includes(kind)) ctx.addIssue({ code: 'custom', path: ['events', i, 'devices', j], message: `a ${e.type} event does not apply to ${kind} "${id}"` });
      });
    });
    s.expect.forEach((x, i) => {
      if (!devices.has(x.device)) ctx.addIssue({ code: 'custom', path: ['expect', i, 'device'], message: `no device "${x.device}" in this scenario` });
      if (!events.has(x.after)) ctx.addIssue({ code: 'custom', path: ['expect', i, 'after'], message: `no event with id "${x.after}" (use an event id or "start")` });
    });
  });
export type Scenario = z.infer<typeof ScenarioSchema>;
/** What a scenario file contains before defaults and duration parsing. */
export type ScenarioInput = z.input<typeof ScenarioSchema>;

/** Default heartbeat interval per kind, in seconds (matches the demo registry). */
export const DEFAULT_INTERVAL_SEC: Readonly<Record<DeviceKind, number>> = {
  river_gauge: 300,
  air_monitor: 300,
  fire_sensor: 600,
  port_device: 60,
};

/** The time (ms from the start) of an event id, or 0 for `start`. */
export function eventTime(scenario: Pick<Scenario, 'events'>, id: string): number | undefined {
  if (id === 'start') return 0;
  return scenario.events.find((e) => e.id === id)?.at;
}

/** Whether an event applies to a device (explicit targets, or every device of its kinds). */
export function targets(event: ScenarioEvent, device: Pick<ScenarioDevice, 'id' | 'kind'>): boolean {
  return event.devices ? event.devices.includes(device.id) : EVENT_KINDS[event.type].includes(device.kind);
}

export type { Level };
