import { createHash } from 'node:crypto';
import { SEVERITY, type AlertChange, type AlertEventType, type AlertStatus, type DeviceKind, type Level } from '@ganzhi/schemas';
import type { NotifyLanguage } from '@ganzhi/registry';
import type { ReceiverDirectory } from './directory';
import type { CompiledRoute, Router } from './router';

/** One alert change as a notification tells it. */
export interface NotifyItem {
  /** `<alertId>#<seq>`, plus `#repeat<n>` for a repeat. */
  changeId: string;
  alertId: string;
  seq: number;
  event: AlertEventType | 'repeat';
  level: Level;
  fromLevel?: Level;
  kind: DeviceKind;
  deviceId: string;
  site?: string;
  ruleId: string;
  status: AlertStatus;
  value?: number;
  threshold?: number;
  message?: string;
  assignee?: string;
  actor: string;
  reason?: string;
  at: number;
  escalations?: number;
}

/** What goes to one receiver: one alert change, or several grouped. Its id is its idempotency key. */
export interface Notification {
  id: string;
  receiver: string;
  routeId: string;
  language: NotifyLanguage;
  createdAt: number;
  items: NotifyItem[];
}

/** Changes collected for a group until its wait is over. */
export interface GroupBuffer {
  key: string;
  routeId: string;
  receivers: string[];
  language: NotifyLanguage;
  flushAt: number;
  /** Every change that went in, in order. */
  changeIds: string[];
  items: NotifyItem[];
}

/** An alert still open on a route with a repeat interval. */
export interface RepeatEntry {
  key: string;
  routeId: string;
  receivers: string[];
  language: NotifyLanguage;
  lastAt: number;
  count: number;
  item: NotifyItem;
  /** The open offline alert of the device that holds this value alert's repeats back (inhibition). */
  heldBy?: string;
}

export interface PlannerView {
  group(key: string): GroupBuffer | undefined;
  groups(): Iterable<GroupBuffer>;
  repeats(): Iterable<RepeatEntry>;
  /** Whether a silence (maintenance window) covers the alert now: its repeats wait while one does. */
  silenced?(item: NotifyItem, now: number): boolean;
}

/** What a step decided: notifications to put in the outbox, and state to set (null = remove). */
export interface PlannerEffects {
  notifications: Notification[];
  groups: Map<string, GroupBuffer | null>;
  repeats: Map<string, RepeatEntry | null>;
}

export interface NotifyPlanner {
  onChange(view: PlannerView, change: AlertChange, now: number): PlannerEffects;
  /** Flushes groups whose wait is over and repeats that are due. */
  tick(view: PlannerView, now: number): PlannerEffects;
  /** The earliest time `tick` has something to do, if any. */
  nextDue(view: PlannerView): number | undefined;
}

const stillOpen = (c: { status: AlertStatus; condition?: string }) => c.status !== 'resolved' && c.status !== 'closed' && c.condition !== 'cleared';

export function itemOf(c: AlertChange): NotifyItem {
  return {
    changeId: `${c.alertId}#${c.seq}`,
    alertId: c.alertId,
    seq: c.seq,
    event: c.event.type,
    level: c.level,
    ...(c.event.fromLevel ? { fromLevel: c.event.fromLevel } : {}),
    kind: c.kind,
    deviceId: c.deviceId,
    ...(c.site !== undefined ? { site: c.site } : {}),
    ruleId: c.ruleId,
    status: c.status,
    ...(c.value !== undefined ? { value: c.value } : {}),
    ...(c.threshold !== undefined ? { threshold: c.threshold } : {}),
    ...(c.message !== undefined ? { message: c.message } : {}),
    ...(c.assignee !== undefined ? { assignee: c.assignee } : {}),
    actor: c.event.actor,
    ...(c.event.reason !== undefined ? { reason: c.event.reason } : {}),
    at: c.event.at,
    ...(c.escalations !== undefined ? { escalations: c.escalations } : {}),
  };
}

/** The idempotency key of a notification: the receiver and every change it carries. */
export function notificationId(receiver: string, changeIds: readonly string[]): string {
  return 'ntf-' + createHash('sha256').update(`${receiver}\n${[...changeIds].sort().join('\n')}`).digest('hex').slice(0, 32);
}

/** Minutes east of UTC for an offset such as +08:00. */
export function offsetMinutes(offset: string): number {
  const sign = offset.startsWith('-') ? -1 : 1;
  const [h, m] = offset.slice(1).split(':').map(Number);
  return sign * (h! * 60 + m!);
}

/** When the quiet hours that hold `now` end (ms), or undefined when `now` is not in them. */
export function quietUntil(q: { from: string; to: string }, now: number, offsetMin: number): number | undefined {
  const toMin = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
  const from = toMin(q.from);
  const to = toMin(q.to);
  if (from === to) return undefined;
  const localMs = now + offsetMin * 60_000;
  const dayStart = Math.floor(localMs / 86_400_000) * 86_400_000;
  const minute = Math.floor((localMs - dayStart) / 60_000);
  const quiet = from < to ? minute >= from && minute < to : minute >= from || minute < to;
  if (!quiet) return undefined;
  const endLocal = dayStart + to * 60_000 + (minute >= to ? 86_400_000 : 0);
  return endLocal - offsetMin * 60_000;
}

const empty = (): PlannerEffects => ({ notifications: [], groups: new Map(), repeats: new Map() });

/**
 * The notifier's pure core: which alert changes notify whom, when (group waits, quiet hours) and
 * again (repeat intervals). No I/O, no clock: the runner passes `now` and applies the effects.
 */
export function createNotifyPlanner(options: { router: Router; directory: ReceiverDirectory; utcOffset: string }): NotifyPlanner {
  const { router, directory } = options;
  const offset = offsetMinutes(options.utcOffset);
  const quietEnd = (route: CompiledRoute, level: Level, now: number) =>
    route.quietHours && SEVERITY[level] < SEVERITY[route.quietHours.exceptFrom] ? quietUntil(route.quietHours, now, offset) : undefined;
  const single = (receiver: string, route: CompiledRoute, item: NotifyItem, now: number): Notification => ({
    id: notificationId(receiver, [item.changeId]),
    receiver,
    routeId: route.id,
    language: route.language,
    createdAt: now,
    items: [item],
  });

  return {
    onChange(view, change, now) {
      const fx = empty();
      const routes = router.route(change);
      const routeIds = new Set(routes.map((r) => r.id));
      const item = itemOf(change);
      for (const r of view.repeats()) {
        if (r.item.alertId === change.alertId) {
          // Repeats end with the alert, and on a route the alert no longer takes (a grade change).
          if (!stillOpen(change) || !routeIds.has(r.routeId)) fx.repeats.set(r.key, null);
          // Otherwise they carry its latest state, whether this change notifies or not.
          else fx.repeats.set(r.key, { ...r, item });
        } else if (change.category === 'offline' && r.item.deviceId === change.deviceId) {
          // Inhibition: while the device's offline alert is active, its value alerts do not repeat.
          const held = stillOpen(change) ? change.alertId : r.heldBy === change.alertId ? undefined : r.heldBy;
          if (held !== r.heldBy) {
            const { heldBy: _old, ...rest } = r;
            fx.repeats.set(r.key, held ? { ...rest, heldBy: held } : rest);
          }
        }
      }
      // Silenced or inhibited by the alert manager: recorded, never paged.
      if (change.notify === false) return fx;
      const taken = new Set<string>();
      const fresh = (keys: readonly string[]) => keys.filter((k) => !taken.has(k) && (taken.add(k), true));
      for (const route of routes) {
        if (!route.events.has(change.event.type)) continue;
        if (change.event.type === 'dispatched') {
          // A dispatch notifies whoever it was dispatched to, at once.
          for (const r of fresh(change.assignee ? directory.assignee(change.assignee) : [])) fx.notifications.push(single(r, route, item, now));
          continue;
        }
        const receivers = fresh(route.to.flatMap((t) => directory.target(t)));
        if (receivers.length === 0) continue;
        if (route.repeatIntervalMs > 0 && stillOpen(change)) {
          const key = `${route.id}|${change.alertId}`;
          fx.repeats.set(key, { key, routeId: route.id, receivers, language: route.language, lastAt: now, count: 0, item });
        }
        const until = quietEnd(route, change.level, now);
        if (route.groupWaitMs === 0 && until === undefined) {
          for (const r of receivers) fx.notifications.push(single(r, route, item, now));
          continue;
        }
        const fields = route.groupBy.map((f) => `${f}=${(change as Record<string, unknown>)[f] ?? ''}`).join(',');
        const key = `${route.id}|${fields}|${receivers.join(',')}`;
        const current = view.group(key);
        if (current?.changeIds.includes(item.changeId)) continue; // a re-delivered change
        const buffer: GroupBuffer = current
          ? { ...current, changeIds: [...current.changeIds, item.changeId], items: [...current.items, item] }
          : { key, routeId: route.id, receivers, language: route.language, flushAt: Math.max(now + route.groupWaitMs, until ?? 0), changeIds: [item.changeId], items: [item] };
        fx.groups.set(key, buffer);
      }
      return fx;
    },

    tick(view, now) {
      const fx = empty();
      for (const g of view.groups()) {
        if (g.flushAt > now) continue;
        for (const r of g.receivers) {
          fx.notifications.push({ id: notificationId(r, g.changeIds), receiver: r, routeId: g.routeId, language: g.language, createdAt: now, items: g.items });
        }
        fx.groups.set(g.key, null);
      }
      for (const e of view.repeats()) {
        const route = router.routes.get(e.routeId);
        if (!route || route.repeatIntervalMs === 0) {
          fx.repeats.set(e.key, null);
          continue;
        }
        if (e.lastAt + route.repeatIntervalMs > now || quietEnd(route, e.item.level, now) !== undefined) continue;
        if (e.heldBy !== undefined || view.silenced?.(e.item, now)) continue; // due again once that ends
        const n = e.count + 1;
        const item: NotifyItem = { ...e.item, changeId: `${e.item.alertId}#${e.item.seq}#repeat${n}`, event: 'repeat' };
        for (const r of e.receivers) fx.notifications.push(single(r, route, item, now));
        fx.repeats.set(e.key, { ...e, lastAt: now, count: n });
      }
      return fx;
    },

    nextDue(view) {
      let due: number | undefined;
      for (const g of view.groups()) due = Math.min(due ?? Infinity, g.flushAt);
      for (const e of view.repeats()) {
        const interval = router.routes.get(e.routeId)?.repeatIntervalMs ?? 0;
        due = Math.min(due ?? Infinity, interval > 0 ? e.lastAt + interval : 0);
      }
      return due;
    },
  };
}
