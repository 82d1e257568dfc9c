import { z } from 'zod';
import { EpochMsSchema } from './ids';

/** `ganzhi.deadletter.v1`: a record a stage could not process, kept whole with the reason. */
export const DeadLetterSchema = z.object({
  id: z.string().min(1),
  stage: z.string().min(1),
  code: z.string().regex(/^GANZHI_ERR_[A-Z0-9]+_[A-Z0-9_]+$/),
  reason: z.string().max(2048),
  at: EpochMsSchema,
  deviceId: z.string().optional(),
  source: z.object({
    topic: z.string(),
    key: z.string(),
    /** The original record, exactly as it was received (JSON value or text). */
    value: z.unknown(),
  }),
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;
