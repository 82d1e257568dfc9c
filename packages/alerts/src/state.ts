import { z } from 'zod';
import { AlertChangeSchema, EpochMsSchema, HashSchema } from '@ganzhi/schemas';

/** When an alert's next time-driven transition is due (absent: none). */
export const AlertTimersSchema = z.object({
  /** Next re-notification of an unacknowledged alert. */
  escalateAt: EpochMsSchema.optional(),
  /** Auto-close of a resolved alert whose condition has cleared. */
  closeAt: EpochMsSchema.optional(),
});
export type AlertTimers = z.infer<typeof AlertTimersSchema>;

/**
 * The alert state of one device, JSON-serialisable; validate with this schema on restore.
 * Bounded: closed alerts leave it (at most one alert per rule), `seen` is a ring of
 * `dedupMemory` entries, `head` is one link.
 */
export const DeviceAlertsStateSchema = z.object({
  /** Alerts that are not closed, by alert id: the latest change of each. */
  alerts: z.record(z.string(), AlertChangeSchema),
  /** Pending time-driven transitions, by alert id. */
  timers: z.record(z.string(), AlertTimersSchema).default({}),
  /** Digests of the latest signals and commands applied, oldest first (drops re-deliveries). */
  seen: z.array(z.string().max(32)).default([]),
  /** The device's last change in the audit chain (survives the alert closing). */
  head: z.object({ seq: z.number().int().positive(), hash: HashSchema }).optional(),
});
export type DeviceAlertsState = z.infer<typeof DeviceAlertsStateSchema>;

export function emptyState(): DeviceAlertsState {
  return { alerts: {}, timers: {}, seen: [] };
}

/**
 * A 53-bit string hash (cyrb53) in base 36: short ids for the `seen` ring. Not cryptographic —
 * a collision only makes one signal look like a re-delivery, at odds of ~1e-16 per pair.
 */
export function digest(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/** The earliest pending timer of the device (escalation or auto-close), so a sweep can skip the rest. */
export function nextDue(state: DeviceAlertsState | undefined): number | undefined {
  let due: number | undefined;
  for (const t of Object.values(state?.timers ?? {})) {
    for (const at of [t.escalateAt, t.closeAt]) if (at !== undefined && (due === undefined || at < due)) due = at;
  }
  return due;
}
