import { z } from 'zod';
import { DeviceKindSchema, EpochMsSchema, IdSchema } from './ids';
import { LevelSchema } from './levels';

/**
 * `ganzhi.signals.v1`: a rule's verdict for one device. `raise` carries the grade the condition
 * currently has (a raise at a different grade upgrades or downgrades the alert in place);
 * `clear` says the condition is gone.
 */
export const SignalSchema = z.object({
  deviceId: IdSchema,
  kind: DeviceKindSchema,
  site: z.string().max(64).optional(),
  ruleId: IdSchema,
  state: z.enum(['raise', 'clear']),
  /**
   * `offline`: the device is silent (absence rule); the alert manager may inhibit the device's
   * `value` alerts while it is raised. Absent on older records: treat as `value`.
   */
  category: z.enum(['value', 'offline']).optional(),
  level: LevelSchema.optional(),
  metric: z.string().optional(),
  value: z.number().finite().optional(),
  threshold: z.number().finite().optional(),
  message: z.string().max(512).optional(),
  ts: EpochMsSchema,
  sourceId: z.string().min(1),
});
export type Signal = z.infer<typeof SignalSchema>;
