import type { AlertEventType, Command } from '@ganzhi/schemas';
import { autoCloseNow, bodyOf, emit } from './draft';
import type { AlertBody, Draft } from './draft';
import { TRANSITIONS, refusalOf } from './transitions';

export interface Refusal {
  code: 'GANZHI_ERR_ALERT_NOT_FOUND' | 'GANZHI_ERR_ALERT_TRANSITION';
  reason: string;
}

export function commandKey(c: Command): string {
  return `c|${c.id}`;
}

/**
 * Applies one authenticated operator action, checked against TRANSITIONS (transitions.ts). The
 * actor recorded is `command.actor` (the authenticated identity), the time `command.at`.
 */
export function applyCommand(d: Draft, c: Command): Refusal | undefined {
  const alert = d.alerts[c.alertId];
  if (alert === undefined) {
    return { code: 'GANZHI_ERR_ALERT_NOT_FOUND', reason: `no alert ${c.alertId} is open on device ${c.deviceId} (unknown or closed)` };
  }
  const refused = refusalOf(alert, c.action, c);
  if (refused !== undefined) return { code: 'GANZHI_ERR_ALERT_TRANSITION', reason: refused };

  const body = bodyOf(alert);
  const to = TRANSITIONS[c.action].to;
  const note = c.note?.trim() || undefined;
  const event = (type: AlertEventType, reason: string | undefined): AlertBody['event'] => ({
    type,
    actor: c.actor,
    at: c.at,
    ...(reason !== undefined ? { reason } : {}),
  });
  let next: AlertBody;
  switch (c.action) {
    case 'acknowledge':
      next = { ...body, status: to, event: event('acknowledged', note) };
      break;
    case 'dispatch': {
      const assignee = (c.assignee as string).trim();
      const how =
        alert.status === 'dispatched'
          ? `reassigned from ${alert.assignee ?? 'nobody'} to ${assignee}`
          : alert.status === 'open'
            ? `acknowledged and dispatched to ${assignee}`
            : `dispatched to ${assignee}`;
      next = { ...body, status: to, assignee, event: event('dispatched', note ? `${how}: ${note}` : how) };
      break;
    }
    case 'resolve':
      next = { ...body, status: to, event: event('resolved', note) };
      break;
    case 'close':
      next = { ...body, status: to, event: event('closed', note) };
      break;
    default: {
      const unreachable: never = c.action;
      return { code: 'GANZHI_ERR_ALERT_TRANSITION', reason: `unknown action ${String(unreachable)}` };
    }
  }
  const change = emit(d, next);
  if (change.status === 'resolved') autoCloseNow(d, change);
  return undefined;
}
