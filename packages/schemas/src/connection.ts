import { z } from 'zod';
import { EpochMsSchema, IdSchema } from './ids';

/**
 * `ganzhi.connections.v1`: a device's MQTT connection as a gateway sees it — connected, or
 * disconnected however it went (DISCONNECT, a dead socket with or without a last will, a kick).
 */
export const ConnectionChangeSchema = z.object({
  deviceId: IdSchema,
  state: z.enum(['connected', 'disconnected']),
  at: EpochMsSchema,
  gatewayId: z.string().min(1).max(64),
});
export type ConnectionChange = z.infer<typeof ConnectionChangeSchema>;
