import { z } from 'zod';
import { ActorSchema, DeviceKindSchema, EpochMsSchema, IdSchema } from '@ganzhi/schemas';
import type { DeviceKind } from '@ganzhi/schemas';

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

/** What a silence is matched against: an alert (or a signal) of one device. */
export interface SilenceTarget {
  deviceId: string;
  kind: DeviceKind;
  site?: string | undefined;
  ruleId: string;
}

/** True when `silence` covers `target` at time `at` (start inclusive, end exclusive). */
export function isSilenced(silence: Silence, target: SilenceTarget, at: number): boolean {
  if (at < silence.startsAt || at >= silence.endsAt) return false;
  const m = silence.match;
  return (
    (m.deviceId === undefined || m.deviceId === target.deviceId) &&
    (m.kind === undefined || m.kind === target.kind) &&
    (m.site === undefined || m.site === target.site) &&
    (m.ruleId === undefined || m.ruleId === target.ruleId)
  );
}

/** Ids of the silences covering `target` at `at`, in list order (at most 32). */
export function matchingSilences(silences: readonly Silence[], target: SilenceTarget, at: number): string[] {
  const ids: string[] = [];
  for (const s of silences) {
    if (isSilenced(s, target, at)) ids.push(s.id);
    if (ids.length === 32) break;
  }
  return ids;
}
