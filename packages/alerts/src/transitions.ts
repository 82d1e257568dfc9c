import type { AlertChange, AlertStatus, CommandAction, Condition } from '@ganzhi/schemas';

/** One operator action: from which workflow states it is allowed, where it leads, what it needs. */
export interface Transition {
  from: readonly AlertStatus[];
  to: AlertStatus;
  /** A command field that must be present and non-empty. */
  requires?: 'assignee' | 'note';
  /** The condition the alert must be in (closing needs the risk to be gone). */
  condition?: Condition;
}

/**
 * The operator workflow as data (README "Lifecycle"):
 * - acknowledge: open -> acknowledged (stops escalation).
 * - dispatch: open | acknowledged | dispatched -> dispatched, with an assignee. From open it also
 *   acknowledges; from dispatched it reassigns.
 * - resolve: acknowledged | dispatched -> resolved, with a note; allowed while the condition is still
 *   active (the work is done, the water has not gone down yet). Not from open: someone must own it first.
 * - close: resolved -> closed, only once the condition has cleared.
 */
export const TRANSITIONS: Readonly<Record<CommandAction, Transition>> = {
  acknowledge: { from: ['open'], to: 'acknowledged' },
  dispatch: { from: ['open', 'acknowledged', 'dispatched'], to: 'dispatched', requires: 'assignee' },
  resolve: { from: ['acknowledged', 'dispatched'], to: 'resolved', requires: 'note' },
  close: { from: ['resolved'], to: 'closed', condition: 'cleared' },
};

const ACTIONS = Object.keys(TRANSITIONS) as CommandAction[];

/** The actions an operator may take on `alert` now (for consoles and refusal messages). */
export function allowedActions(alert: Pick<AlertChange, 'status' | 'condition'>): CommandAction[] {
  return ACTIONS.filter((a) => {
    const t = TRANSITIONS[a];
    return t.from.includes(alert.status) && (t.condition === undefined || t.condition === alert.condition);
  });
}

/** Why `action` is refused on `alert` with the given fields, or undefined when it is allowed. */
export function refusalOf(
  alert: Pick<AlertChange, 'alertId' | 'status' | 'condition'>,
  action: CommandAction,
  fields: { assignee?: string | undefined; note?: string | undefined },
): string | undefined {
  const t = TRANSITIONS[action];
  const now = allowedActions(alert);
  const allowedNow = `allowed now: ${now.length > 0 ? now.join(', ') : 'none'}`;
  if (!t.from.includes(alert.status)) {
    return `cannot ${action} alert ${alert.alertId}: it is ${alert.status}; ${action} is allowed from ${t.from.join(' or ')} (${allowedNow})`;
  }
  if (t.condition !== undefined && t.condition !== alert.condition) {
    return `cannot ${action} alert ${alert.alertId}: its condition is still ${alert.condition}; it can ${action} once the condition is ${t.condition}`;
  }
  if (t.requires !== undefined && !fields[t.requires]?.trim()) {
    return `cannot ${action} alert ${alert.alertId}: ${action} needs ${t.requires === 'assignee' ? 'an assignee' : 'a note'}`;
  }
  return undefined;
}
