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
});
export type MetricValue = z.infer<typeof MetricValueSchema>;

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
  origin: z.enum(['telemetry', 'status']).optional(),
});
export type Reading = z.infer<typeof ReadingSchema>;
