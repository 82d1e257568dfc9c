import { z } from 'zod';
import { DeviceKindSchema, EpochMsSchema, IdSchema } from './ids';

/** How the payload bytes are to be decoded by the normalizer. */
export const PayloadFormatSchema = z.enum(['json', 'hj212', 'sl651', 'gbt26875']);
export type PayloadFormat = z.infer<typeof PayloadFormatSchema>;

/**
 * `ganzhi.raw.v1`: one MQTT publish as the gateway accepted it, before any interpretation.
 * `payload` is UTF-8 text for text formats and base64 for binary ones (`encoding`).
 */
export const RawEnvelopeSchema = z.object({
  id: z.string().min(1).max(128),
  deviceId: IdSchema,
  kind: DeviceKindSchema,
  format: PayloadFormatSchema,
  topic: z.string().min(1),
  receivedAt: EpochMsSchema,
  encoding: z.enum(['utf8', 'base64']),
  payload: z.string(),
});
export type RawEnvelope = z.infer<typeof RawEnvelopeSchema>;
