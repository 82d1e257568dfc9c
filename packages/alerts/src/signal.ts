import { compareLevels, makeAlertId } from '@ganzhi/schemas';
import type { AlertCategory, AlertChange, Level, Signal } from '@ganzhi/schemas';
import { autoCloseNow, bodyOf, emit } from './draft';
import type { AlertBody, Draft } from './draft';

/** The identity of a signal for re-delivery checks (the bus is at-least-once). */
export function signalKey(s: Signal): string {
  return `s|${s.ruleId}|${s.state}|${s.level ?? ''}|${s.ts}|${s.sourceId}`;
}

/** `offline` for absence signals: from the signal's `category` when present, else from config. */
function categoryOf(d: Draft, s: Signal): AlertCategory {
  if (s.category !== undefined) return s.category;
  return d.cfg.inhibition.offlineRuleIds.includes(s.ruleId) ? 'offline' : 'value';
}

function findByRule(d: Draft, ruleId: string): AlertChange | undefined {
  for (const a of Object.values(d.alerts)) if (a.ruleId === ruleId) return a;
  return undefined;
}

function describe(s: Signal, level: Level | undefined): string {
  if (s.message) return s.message;
  const what = s.metric ?? 'value';
  const v = s.value !== undefined ? ` ${what}=${s.value}` : '';
  const t = s.threshold !== undefined ? ` (threshold ${s.threshold})` : '';
  return s.state === 'raise' ? `${s.ruleId} raised ${level}:${v}${t}` : `${s.ruleId} cleared:${v}${t}`;
}

/** The signal's readings carried onto the alert (a signal without a value keeps the last one). */
function withReadings(body: AlertBody, s: Signal): AlertBody {
  return {
    ...body,
    value: s.value ?? body.value,
    threshold: s.threshold ?? body.threshold,
    message: s.message ?? body.message,
  };
}

/**
 * Applies one rule verdict. One alert per (device, rule) while not closed:
 * - no alert + raise -> `raised` (a new alert, id from device, rule and the signal's ts);
 * - raise at a higher / lower grade while active -> `upgraded` / `downgraded` in place (fromLevel);
 * - raise while cleared -> `reactivated` (fromLevel when the grade differs);
 * - raise at the same grade while active -> nothing;
 * - clear while active -> `cleared`; clear while cleared, or with no alert -> nothing.
 * A resolved alert that is upgraded or reactivated goes back to `open` (the fix did not hold),
 * with its escalation count reset. Returns false when the signal is malformed (raise without level).
 */
export function applySignal(d: Draft, s: Signal): boolean {
  const alert = findByRule(d, s.ruleId);
  const actor = d.cfg.rulesActor;
  switch (s.state) {
    case 'raise': {
      const level = s.level;
      if (level === undefined) return false;
      if (alert === undefined) {
        emit(d, {
          alertId: makeAlertId(s.deviceId, s.ruleId, s.ts),
          deviceId: s.deviceId,
          kind: s.kind,
          site: s.site,
          ruleId: s.ruleId,
          level,
          status: 'open',
          condition: 'active',
          value: s.value,
          threshold: s.threshold,
          message: s.message,
          openedAt: s.ts,
          category: categoryOf(d, s),
          escalations: 0,
          event: { type: 'raised', actor, at: s.ts, reason: describe(s, level) },
        });
        return true;
      }
      const order = compareLevels(level, alert.level);
      const type = alert.condition === 'cleared' ? 'reactivated' : order > 0 ? 'upgraded' : order < 0 ? 'downgraded' : undefined;
      if (type === undefined) return true; // same grade, still active: nothing new
      const reopen = alert.status === 'resolved' && type !== 'downgraded';
      const body = withReadings(bodyOf(alert), s);
      emit(d, {
        ...body,
        level,
        condition: 'active',
        status: reopen ? 'open' : alert.status,
        escalations: reopen ? 0 : body.escalations,
        event: {
          type,
          actor,
          at: s.ts,
          reason: describe(s, level) + (reopen ? '; reopened: it was resolved' : ''),
          ...(order !== 0 ? { fromLevel: alert.level } : {}),
        },
      });
      return true;
    }
    case 'clear': {
      if (alert === undefined || alert.condition === 'cleared') return true;
      const change = emit(d, {
        ...withReadings(bodyOf(alert), s),
        condition: 'cleared',
        event: { type: 'cleared', actor, at: s.ts, reason: describe(s, undefined) },
      });
      autoCloseNow(d, change);
      return true;
    }
    default: {
      const unreachable: never = s.state;
      return unreachable;
    }
  }
}
