import type { DeviceKind, Silence } from '@ganzhi/schemas';

export { SilenceSchema } from '@ganzhi/schemas';
export type { Silence } from '@ganzhi/schemas';

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
