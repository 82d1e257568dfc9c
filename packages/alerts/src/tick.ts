import { bodyOf, closedBody, emit, isSuppressed } from './draft';
import type { Draft } from './draft';

/** Due escalations skipped per alert per tick while suppressed; the rest waits for the next tick. */
const MAX_SKIPS_PER_TICK = 1000;

/**
 * Time-driven transitions due at or before `now`, each dated at its due time (not at `now`), so
 * a tick repeated after a crash produces the same changes:
 * - auto-close of a resolved, cleared alert once its grace period has run out;
 * - escalation of an alert still open: an `escalated` change with the count raised by one, at
 *   most one per alert per tick. A due time that falls inside a silence, or while the device's
 *   offline alert inhibits the alert, is skipped (moved on a period, not counted), so paging
 *   resumes on schedule when the silence or the outage ends.
 * Returns whether anything (changes or timers) changed.
 */
export function applyTick(d: Draft, now: number): boolean {
  let touched = false;
  for (const [alertId, timers] of Object.entries(d.timers)) {
    const alert = d.alerts[alertId];
    if (alert === undefined) {
      delete d.timers[alertId];
      touched = true;
      continue;
    }
    if (timers.closeAt !== undefined && timers.closeAt <= now) {
      emit(d, closedBody(d, alert, timers.closeAt));
      touched = true;
      continue;
    }
    let due = timers.escalateAt;
    if (due === undefined || due > now) continue;
    touched = true;
    const period = d.cfg.escalation.afterMs[alert.level];
    if (period <= 0 || (alert.escalations ?? 0) >= d.cfg.escalation.max) {
      // the configuration changed since the timer was set (a restart with new delays)
      const { escalateAt: _dropped, ...rest } = timers;
      if (rest.closeAt === undefined) delete d.timers[alertId];
      else d.timers[alertId] = rest;
      continue;
    }
    const body = bodyOf(alert);
    let skips = 0;
    while (due <= now && skips < MAX_SKIPS_PER_TICK && isSuppressed(d, body, due)) {
      due += period;
      skips++;
    }
    if (due > now || skips === MAX_SKIPS_PER_TICK) {
      d.timers[alertId] = { ...timers, escalateAt: due };
      continue;
    }
    const count = (alert.escalations ?? 0) + 1;
    const minutes = Math.round(period / 60_000);
    emit(d, {
      ...body,
      escalations: count,
      event: {
        type: 'escalated',
        actor: d.cfg.systemActor,
        at: due,
        reason: `not acknowledged: escalation ${count} of ${d.cfg.escalation.max} (every ${minutes} min at ${alert.level})`,
      },
    });
  }
  return touched;
}
