import { StateCache, createSerialQueue, type Bus, type KeyedView, type Subscription } from '@ganzhi/bus';
import { isSilenced } from '@ganzhi/alerts';
import type { Logger } from '@ganzhi/log';
import { openSilencesView } from '@ganzhi/runtime';
import type { Silence } from '@ganzhi/schemas';
import type { Metrics } from '@ganzhi/metrics';
import {
  OutboxEntrySchema,
  newEntry,
  recordAttempt,
  renderNotification,
  type GroupBuffer,
  type OutboxEntry,
  type PlannerEffects,
  type PlannerView,
  type RepeatEntry,
  type RetryPolicy,
} from '@ganzhi/notify';
import type { NotifierSetup } from './setup';
import type { Sender } from './sender';

export interface NotifierDeps {
  bus: Bus;
  setup: NotifierSetup;
  sender: Sender;
  logger: Logger;
  now?: () => number;
  /** This process's metrics: notifications, attempts, retries, deliveries and their latency by receiver type, the pending outbox. */
  metrics?: Metrics | undefined;
}

export interface NotifierOptions {
  group?: string;
  retry?: RetryPolicy;
  /** Delivered and failed entries are dropped from the outbox this long after they ended. */
  retentionMs?: number;
  /** How often group waits and repeat intervals are looked at; 0 = only when `sweep()` is called. */
  tickMs?: number;
}

/** A notification as shown per alert (API, console). */
export interface NotificationRecord {
  id: string;
  receiver: string;
  receiverType: string;
  route: string;
  status: OutboxEntry['status'];
  attemptCount: number;
  attempts: OutboxEntry['attempts'];
  createdAt: number;
  nextAt?: number;
  doneAt?: number;
  /** The changes of this alert that the notification carries (`<alertId>#<seq>`), and the alerts grouped with it. */
  changes: string[];
  alerts: string[];
}

export interface NotifierStats {
  changes: number;
  notifications: number;
  attempts: number;
  delivered: number;
  failed: number;
  retries: number;
  pending: number;
  /** Silences the notifier holds (repeats wait while one covers their alert). */
  silences: number;
}

export interface Notifier {
  start(): Promise<void>;
  close(): Promise<void>;
  /** Flushes due groups and repeats now (a timer calls it; tests call it with their own clock). */
  sweep(): Promise<number>;
  /** Every notification that concerns an alert, oldest first, with its attempts. */
  notifications(alertId: string): NotificationRecord[];
  stats(): NotifierStats;
}

const DEFAULT_RETRY: RetryPolicy = { initialMs: 2_000, maxMs: 300_000, maxAttempts: 30 };

/**
 * The notifier stage: alert changes in (its own consumer group on `ganzhi.alerts.v1`), notifications
 * out. The planner (packages/notify) decides who is told what and when; each notification is put in
 * the outbox (a state log, keyed by its idempotency key) before the change is acknowledged, then
 * delivered by its receiver's lane: one lane per receiver, in order, retried with backoff, so a
 * receiver that is down holds up only itself. Every attempt is written back to the outbox, so a
 * restart resumes what is pending and never resends what was delivered.
 */
export function buildNotifier(deps: NotifierDeps, options: NotifierOptions = {}): Notifier {
  const { bus, setup, sender } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'notifier' });
  const retry = options.retry ?? DEFAULT_RETRY;
  const retentionMs = options.retentionMs ?? 7 * 86_400_000;
  const serial = createSerialQueue();
  const stats = { changes: 0, notifications: 0, attempts: 0, delivered: 0, failed: 0, retries: 0 };
  const lanes = new Map<string, { queue: string[]; running: boolean }>();
  const abort = new AbortController();
  let outbox: StateCache<OutboxEntry> | undefined;
  let groups: StateCache<GroupBuffer> | undefined;
  let repeats: StateCache<RepeatEntry> | undefined;
  /** The silences (maintenance windows), followed by a consumer group of the notifier's own: repeats wait while one covers their alert. */
  let silences: KeyedView<Silence> | undefined;
  let sub: Subscription | undefined;
  let timer: NodeJS.Timeout | undefined;
  const running = new Set<Promise<void>>();
  let lastPrune = 0;

  const all = <T>(c: StateCache<T>) => [...c.keys()].map((k) => c.get(k)!);
  const metrics = deps.metrics;
  const typeOf = (receiver: string) => setup.receivers.get(receiver)?.type ?? setup.directory.get(receiver)?.type ?? 'unknown';
  const view: PlannerView = {
    group: (k) => groups!.get(k),
    groups: () => all(groups!),
    repeats: () => all(repeats!),
    silenced: (item, at) => silences?.values().some((s) => isSilenced(s, item, at)) ?? false,
  };

  /** Applies a planner step; returns the ids of the notifications new to the outbox. */
  function apply(fx: PlannerEffects): string[] {
    const added: string[] = [];
    for (const n of fx.notifications) {
      if (outbox!.get(n.id)) continue; // already there: a re-delivered change derives the same key
      outbox!.set(n.id, newEntry(n, now()));
      added.push(n.id);
      metrics?.notifyCreated.inc({ receiver_type: typeOf(n.receiver) });
    }
    for (const [k, v] of fx.groups) v ? groups!.set(k, v) : groups!.delete(k);
    for (const [k, v] of fx.repeats) v ? repeats!.set(k, v) : repeats!.delete(k);
    stats.notifications += added.length;
    return added;
  }
  const flush = () => Promise.all([outbox!.flush(), groups!.flush(), repeats!.flush()]);

  function enqueue(ids: readonly string[]) {
    for (const id of ids) {
      const receiver = outbox!.get(id)!.receiver;
      let lane = lanes.get(receiver);
      if (!lane) lanes.set(receiver, (lane = { queue: [], running: false }));
      lane.queue.push(id);
      if (!lane.running) {
        const p = drain(receiver, lane).finally(() => running.delete(p));
        running.add(p);
      }
    }
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      abort.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });

  /** Counts one attempt and, when it ended the notification, the delivery (metrics, when given). */
  function observe(key: string, before: OutboxEntry, after: OutboxEntry) {
    if (!metrics) return;
    const type = typeOf(key);
    const attempt = after.attempts.at(-1)!;
    const outcome = attempt.ok ? 'ok' : 'error';
    metrics.notifyAttempts.inc({ receiver_type: type, outcome });
    metrics.notifyAttemptSeconds.observe({ receiver_type: type, outcome }, attempt.durationMs / 1000);
    if (after.status === 'pending') metrics.notifyRetries.inc({ receiver_type: type });
    else metrics.notifyDeliveries.inc({ receiver_type: type, outcome: after.status });
    if (after.status === 'delivered') metrics.notifyDeliverySeconds.observe({ receiver_type: type }, Math.max(0, (after.doneAt ?? before.createdAt) - before.createdAt) / 1000);
  }

  /** One receiver's lane: its notifications in order, each until delivered or given up. */
  async function drain(key: string, lane: { queue: string[]; running: boolean }) {
    lane.running = true;
    try {
      while (!abort.signal.aborted && lane.queue.length > 0) {
        const entry = outbox!.get(lane.queue[0]!);
        if (!entry || entry.status !== 'pending') {
          lane.queue.shift();
          continue;
        }
        const wait = entry.nextAt - now();
        if (wait > 0) {
          await sleep(Math.min(wait, 1000)); // re-read the clock: tests may move it
          continue;
        }
        const receiver = setup.receivers.get(key);
        const started = Date.now();
        let verdict: { ok: boolean; retry?: boolean; error?: string };
        if (!receiver) verdict = { ok: false, retry: false, error: 'receiver no longer configured' };
        else {
          const lang = setup.directory.get(key)?.language ?? entry.notification.language;
          const consoleUrl = setup.routing.consoleUrl;
          const rendered = renderNotification(setup.templates, receiver.type, lang, entry.notification, { offsetMin: setup.offsetMin, ...(consoleUrl ? { consoleUrl } : {}) });
          verdict = await sender.send(receiver, { ...entry.notification, language: lang }, rendered, now(), abort.signal);
        }
        if (abort.signal.aborted && !verdict.ok) break; // closing: an interrupted attempt is retried after restart
        const at = now();
        const next = recordAttempt(entry, { at, ok: verdict.ok, durationMs: Date.now() - started, ...(verdict.error ? { error: verdict.error } : {}) }, verdict.retry ?? false, retry);
        await serial(async () => {
          outbox!.set(entry.id, next);
          await outbox!.flush();
        });
        // counted once recorded: a scrape never sees a delivery the outbox does not have yet
        stats.attempts++;
        observe(key, entry, next);
        if (next.status === 'delivered') stats.delivered++;
        else if (next.status === 'failed') {
          stats.failed++;
          log.warn({ receiver: key, notification: entry.id, attempts: next.attemptCount, error: verdict.error }, 'notification given up');
        } else stats.retries++;
        if (next.status !== 'pending') lane.queue.shift();
      }
    } catch (err) {
      log.error({ err, receiver: key }, 'delivery lane failed; it restarts with the next notification or restart');
    } finally {
      lane.running = false;
    }
  }

  const sweep = () =>
    serial(async () => {
      const t = now();
      const added = apply(setup.planner.tick(view, t));
      if (t - lastPrune >= 60_000) {
        lastPrune = t;
        for (const e of all(outbox!)) if (e.status !== 'pending' && (e.doneAt ?? e.createdAt) + retentionMs < t) outbox!.delete(e.id);
      }
      await flush();
      enqueue(added);
      return added.length;
    });

  return {
    sweep,
    notifications(alertId) {
      if (!outbox) return [];
      return all(outbox)
        .filter((e) => e.notification.items.some((i) => i.alertId === alertId))
        .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
        .map((e) => ({
          id: e.id,
          receiver: e.receiver,
          receiverType: setup.directory.get(e.receiver)?.type ?? 'unknown',
          route: e.notification.routeId,
          status: e.status,
          attemptCount: e.attemptCount,
          attempts: e.attempts,
          createdAt: e.createdAt,
          ...(e.status === 'pending' ? { nextAt: e.nextAt } : {}),
          ...(e.doneAt !== undefined ? { doneAt: e.doneAt } : {}),
          changes: e.notification.items.filter((i) => i.alertId === alertId).map((i) => i.changeId),
          alerts: [...new Set(e.notification.items.map((i) => i.alertId))],
        }));
    },
    stats: () => ({ ...stats, pending: outbox ? all(outbox).filter((e) => e.status === 'pending').length : 0, silences: silences?.values().length ?? 0 }),
    async start() {
      [outbox, groups, repeats, silences] = await Promise.all([
        StateCache.open(bus, 'notifier.outbox', (v) => OutboxEntrySchema.parse(v)),
        StateCache.open(bus, 'notifier.groups', (v) => v as GroupBuffer),
        StateCache.open(bus, 'notifier.repeats', (v) => v as RepeatEntry),
        openSilencesView(bus, options.group ?? 'notifier'),
      ]);
      metrics?.setNotifyOutboxSource(() => all(outbox!).map((e) => ({ receiverType: typeOf(e.receiver), status: e.status })));
      // Resume what was not delivered before the last stop, in the order it was created.
      const pending = all(outbox).filter((e) => e.status === 'pending').sort((a, b) => a.createdAt - b.createdAt);
      if (pending.length) log.info({ pending: pending.length }, 'resuming undelivered notifications');
      enqueue(pending.map((e) => e.id));
      sub = await bus.subscribe(options.group ?? 'notifier', {
        'ganzhi.alerts.v1': (batch) =>
          serial(async () => {
            const added: string[] = [];
            for (const { value } of batch) added.push(...apply(setup.planner.onChange(view, value, now())));
            await flush();
            stats.changes += batch.length;
            enqueue(added);
          }),
      });
      if (options.tickMs ?? 1000) {
        timer = setInterval(() => void sweep().catch((err: unknown) => log.error({ err }, 'notifier sweep failed')), options.tickMs ?? 1000);
        timer.unref();
      }
      log.info({ receivers: setup.receivers.size }, 'notifier started');
    },
    async close() {
      if (timer) clearInterval(timer);
      await sub?.close();
      await silences?.close();
      abort.abort();
      await Promise.all(running);
      await serial(async () => undefined);
      await sender.close();
    },
  };
}
