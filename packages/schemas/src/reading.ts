import { z } from 'zod';
import { DeviceKindSchema, EpochMsSchema, IdSchema } from './ids';

/**
 * Per-value quality flag, after HJ 212 table 8: N normal, F stopped, M maintenance, S manual,
 * D fault, C calibrating, T over range (valid but clipped), B comms fault.
 * Only N, S and T count toward rules (domain README §1.6).
 */
export const QualitySchema = z.enum(['N', 'F', 'M', 'S', 'D', 'C', 'T', 'B']);
export type Quality = z.infer<typeof QualitySchema>;

export const MetricValueSchema = z.object({
  value: z.number().finite(),
  unit: z.string().max(16),
  quality: QualitySchema.default('N'),
  /**
   * The unit the device sent, when the normalizer converted the value to the metric's canonical
   * `unit` (e.g. `mg/m3` from a model that reports SO2 in mg/m3, stored as ug/m3). Absent when the
   * value arrived in the canonical unit.
   */
  receivedUnit: z.string().max(16).optional(),
});
export type MetricValue = z.infer<typeof MetricValueSchema>;

/**
 * The averaging period (report cycle) of a reading's values. Absent = real-time (instantaneous)
 * values. `minute`/`hour`/`day` are HJ 212 minute (CN 2051), hour (2061) and day (2031) data, or
 * the platform's derived hourly and daily sets; `ts` is then the START of the period (HJ 212-2017
 * §6.3.3 DataTime; a day starts 00:00 China time). Metric names say each value's window
 * (`pm25_1h`, `o3_8h`, `pm25_24h`, `pm25_day`; see packages/rules README "Derived means").
 */
export const PeriodSchema = z.enum(['minute', 'hour', 'day']);
export type Period = z.infer<typeof PeriodSchema>;

/** `ganzhi.readings.v1`: one device's normalized measurements at one instant. */
export const ReadingSchema = z.object({
  deviceId: IdSchema,
  kind: DeviceKindSchema,
  site: z.string().max(64).optional(),
  ts: EpochMsSchema,
  metrics: z.record(z.string().min(1).max(64), MetricValueSchema),
  /** Non-numeric state carried beside the metrics (e.g. crane "operating"). */
  states: z.record(z.string(), z.union([z.string(), z.boolean()])).optional(),
  sourceId: z.string().min(1),
  receivedAt: EpochMsSchema,
  /**
   * `status` for a device's online/offline message: stamped with the gateway's clock, it proves
   * the device alive but is not a measurement, so it does not take part in per-device ordering.
   */
  origin: z.enum(['telemetry', 'status', 'derived']).optional(),
  /** See PeriodSchema. `origin: 'derived'` readings are computed by the rules stage (never re-derived). */
  period: PeriodSchema.optional(),
});
export type Reading = z.infer<typeof ReadingSchema>;
