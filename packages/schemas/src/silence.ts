import { z } from 'zod';
import { ActorSchema } from './alert';
import { DeviceKindSchema, EpochMsSchema, IdSchema } from './ids';

/**
 * A silence (maintenance window): alerts that match it during [startsAt, endsAt) are still recorded,
 * but their changes carry `notify: false` so the notifier does not page anyone. Every matcher given
 * must match (AND); at least one is required, so a silence can never mute everything.
 */
export const SilenceSchema = z
  .object({
    id: z.string().min(1).max(128),
    match: z
      .object({
        deviceId: IdSchema.optional(),
        kind: DeviceKindSchema.optional(),
        site: z.string().min(1).max(64).optional(),
        ruleId: IdSchema.optional(),
      })
      .refine((m) => m.deviceId !== undefined || m.kind !== undefined || m.site !== undefined || m.ruleId !== undefined, {
        message: 'a silence needs at least one of deviceId, kind, site, ruleId',
      }),
    startsAt: EpochMsSchema,
    endsAt: EpochMsSchema,
    createdBy: ActorSchema,
    createdAt: EpochMsSchema,
    comment: z.string().max(1024).optional(),
  })
  .refine((s) => s.endsAt > s.startsAt, { message: 'endsAt must be after startsAt', path: ['endsAt'] });
export type Silence = z.infer<typeof SilenceSchema>;

/** `ganzhi.silences.v1`: a silence created, replaced or removed by an operator. */
export const SilenceChangeSchema = z.object({
  id: z.string().min(1).max(128),
  action: z.enum(['set', 'delete']),
  silence: SilenceSchema.optional(),
  actor: ActorSchema,
  at: EpochMsSchema,
});
export type SilenceChange = z.infer<typeof SilenceChangeSchema>;
