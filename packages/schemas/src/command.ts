import { z } from 'zod';
import { ActorSchema } from './alert';
import { EpochMsSchema, IdSchema } from './ids';

export const CommandActionSchema = z.enum(['acknowledge', 'dispatch', 'resolve', 'close']);
export type CommandAction = z.infer<typeof CommandActionSchema>;

/** What an operator sends (MQTT command payload or HTTP body). The actor is never taken from here. */
export const CommandBodySchema = z.object({
  alertId: z.string().min(1).max(200),
  action: CommandActionSchema,
  assignee: z.string().min(1).max(128).optional(),
  note: z.string().max(1024).optional(),
  requestId: z.string().max(128).optional(),
});
export type CommandBody = z.infer<typeof CommandBodySchema>;

/** `ganzhi.commands.v1`: an authenticated operator action on an alert. */
export const CommandSchema = CommandBodySchema.extend({
  id: z.string().min(1).max(128),
  deviceId: IdSchema,
  actor: ActorSchema,
  via: z.enum(['mqtt', 'http']),
  at: EpochMsSchema,
});
export type Command = z.infer<typeof CommandSchema>;

/**
 * `ganzhi.command-results.v1`: what became of an operator's command — applied, or refused with a
 * GANZHI_ERR_* code and a reason (unknown alert, transition not allowed from the current state).
 * The gateway relays it to the operator on `ops/{operatorId}/replies`.
 */
export const CommandResultSchema = z.object({
  commandId: z.string().min(1).max(128),
  requestId: z.string().max(128).optional(),
  alertId: z.string().min(1).max(200),
  /** Absent when the command could not be read at all. */
  action: CommandActionSchema.optional(),
  actor: ActorSchema,
  ok: z.boolean(),
  code: z.string().optional(),
  reason: z.string().max(1024).optional(),
  status: z.string().optional(),
  at: EpochMsSchema,
});
export type CommandResult = z.infer<typeof CommandResultSchema>;
