import type { AlertChange } from '@ganzhi/schemas';
import type { AuditKeyring } from './audit-key';
import { hashChange } from './chain';
import type { AlertsConfig } from './config';
import { matchingSilences } from './silence';
import type { Silence } from './silence';
import type { AlertTimers, DeviceAlertsState } from './state';

/** The fields `emit` computes: position in both chains, hashes and the notification flags. */
type Derived = 'seq' | 'deviceSeq' | 'prevHash' | 'devicePrevHash' | 'keyId' | 'hash' | 'notify' | 'silencedBy' | 'inhibitedBy';
/** An alert's new state as a transition sees it, before `emit` links, flags and hashes it. */
export type AlertBody = Omit<AlertChange, Derived>;

/** A working copy of one device's state during one call; `finish` turns it back into state. */
export interface Draft {
  readonly cfg: AlertsConfig;
  readonly silences: readonly Silence[];
  /** The audit keyring: changes are hashed with its current key (unkeyed sha256 without one). */
  readonly keyring: AuditKeyring | undefined;
  alerts: Record<string, AlertChange>;
  timers: Record<string, AlertTimers>;
  seen: string[];
  head: DeviceAlertsState['head'];
  changes: AlertChange[];
}

export function begin(state: DeviceAlertsState, cfg: AlertsConfig, silences: readonly Silence[], keyring?: AuditKeyring): Draft {
  return {
    cfg,
    silences,
    keyring,
    alerts: { ...state.alerts },
    timers: { ...state.timers },
    seen: state.seen.slice(),
    head: state.head,
    changes: [],
  };
}

export function finish(d: Draft): DeviceAlertsState {
  const state: DeviceAlertsState = { alerts: d.alerts, timers: d.timers, seen: d.seen };
  if (d.head) state.head = d.head;
  return state;
}

/** Remembers an input's digest; the ring keeps the newest `dedupMemory`. */
export function remember(d: Draft, key: string): void {
  d.seen.push(key);
  if (d.seen.length > d.cfg.dedupMemory) d.seen.splice(0, d.seen.length - d.cfg.dedupMemory);
}

/** The body of an alert's latest change, without what `emit` derives. */
export function bodyOf(c: AlertChange): AlertBody {
  const { seq, deviceSeq, prevHash, devicePrevHash, keyId, hash, notify, silencedBy, inhibitedBy, ...body } = c;
  return body;
}

/** The id of the device's active offline alert that inhibits `body`, if any. */
function inhibitorOf(d: Draft, body: AlertBody): string | undefined {
  const inh = d.cfg.inhibition;
  if (!inh.enabled || body.category === 'offline' || inh.exceptLevels.includes(body.level)) return undefined;
  for (const a of Object.values(d.alerts)) {
    if (a.alertId !== body.alertId && a.category === 'offline' && a.condition === 'active') return a.alertId;
  }
  return undefined;
}

/** Whether a change of `body` at `at` would be kept from the notifier (silenced or inhibited). */
export function isSuppressed(d: Draft, body: AlertBody, at: number): boolean {
  return inhibitorOf(d, body) !== undefined || matchingSilences(d.silences, body, at).length > 0;
}

/**
 * Records one transition: links it into the alert's and the device's chains, flags it when
 * silenced or inhibited, hashes it, stores it (or drops the alert when closed) and re-plans its
 * timers. Returns the change.
 */
export function emit(d: Draft, body: AlertBody): AlertChange {
  const prev = d.alerts[body.alertId];
  const silencedBy = matchingSilences(d.silences, body, body.event.at);
  const inhibitedBy = inhibitorOf(d, body);
  const change: AlertChange = {
    ...body,
    seq: (prev?.seq ?? 0) + 1,
    deviceSeq: (d.head?.seq ?? 0) + 1,
    notify: silencedBy.length === 0 && inhibitedBy === undefined,
  };
  if (silencedBy.length > 0) change.silencedBy = silencedBy;
  if (inhibitedBy !== undefined) change.inhibitedBy = inhibitedBy;
  if (prev?.hash !== undefined) change.prevHash = prev.hash;
  if (d.head !== undefined) change.devicePrevHash = d.head.hash;
  if (d.keyring) change.keyId = d.keyring.currentId;
  const hash = hashChange(change, d.keyring) as string; // the current key is always in the ring
  change.hash = hash;
  d.head = { seq: change.deviceSeq as number, hash };
  d.changes.push(change);
  if (change.status === 'closed') {
    delete d.alerts[change.alertId];
    delete d.timers[change.alertId];
  } else {
    d.alerts[change.alertId] = change;
    plan(d, change);
  }
  return change;
}

/**
 * Re-plans an alert's timers after a change:
 * - escalation is armed while the alert is open (unacknowledged), its grade has a delay, the count
 *   is below the maximum and (unless `whileCleared`) its condition is active. An escalation schedules
 *   the next one a period later; any other change keeps the earlier of the pending time and
 *   "now + the grade's delay", so an upgrade never postpones it;
 * - auto-close is armed when enabled and the alert is resolved with its condition cleared.
 */
function plan(d: Draft, c: AlertChange): void {
  const { escalation, autoClose } = d.cfg;
  const at = c.event.at;
  const old = d.timers[c.alertId];
  const next: AlertTimers = {};
  const period = escalation.afterMs[c.level];
  const escalates =
    c.status === 'open' &&
    period > 0 &&
    (c.escalations ?? 0) < escalation.max &&
    (c.condition === 'active' || escalation.whileCleared);
  if (escalates) {
    const due = at + period;
    next.escalateAt = c.event.type === 'escalated' || old?.escalateAt === undefined ? due : Math.min(old.escalateAt, due);
  }
  if (autoClose.enabled && c.status === 'resolved' && c.condition === 'cleared') {
    next.closeAt = old?.closeAt ?? at + autoClose.afterMs;
  }
  if (next.escalateAt === undefined && next.closeAt === undefined) delete d.timers[c.alertId];
  else d.timers[c.alertId] = next;
}

/** Closes a resolved, cleared alert at once when auto-close has no grace period. */
export function autoCloseNow(d: Draft, c: AlertChange): void {
  const closeAt = d.timers[c.alertId]?.closeAt;
  if (closeAt === undefined || closeAt > c.event.at) return;
  emit(d, closedBody(d, c, closeAt));
}

export function closedBody(d: Draft, c: AlertChange, at: number): AlertBody {
  return {
    ...bodyOf(c),
    status: 'closed',
    event: { type: 'closed', actor: d.cfg.systemActor, at, reason: 'auto-close: resolved and condition cleared' },
  };
}
