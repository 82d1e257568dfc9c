import cron from 'node-cron';
import { StateCache, createSerialQueue, type Bus, type KeyedView, type Subscription } from '@ganzhi/bus';
import { DeviceAlertsStateSchema, nextDue, type AlertsCore, type AlertsOutcome, type DeviceAlertsState } from '@ganzhi/alerts';
import type { Logger } from '@ganzhi/log';
import type { Metrics } from '@ganzhi/metrics';
import { openSilencesView } from '@ganzhi/runtime';
import type { AlertChange, CommandResult, Silence } from '@ganzhi/schemas';

export interface AlertsServiceDeps {
  bus: Bus;
  core: AlertsCore;
  logger: Logger;
  now?: () => number;
  /** This process's metrics: `ganzhi_alerts_open` is read from the state held here. */
  metrics?: Metrics;
}

export interface AlertsServiceOptions {
  group?: string;
  /** node-cron expression for the escalation sweep; '' disables it. */
  sweepCron?: string;
  /** This instance: it follows every silence through a consumer group of its own. */
  instanceId?: string;
}

export interface AlertsService {
  start(): Promise<void>;
  close(): Promise<void>;
  /** One escalation sweep now (cron calls it; tests call it with a fake clock). */
  sweep(): Promise<number>;
  stats(): Readonly<{ signals: number; commands: number; changes: number; silences: number }>;
}

/**
 * The alert manager runner: signals and operator commands in, alert changes out (and a result
 * for every command). State per device lives in memory and in the `alerts` state log.
 */
const decodeState = (v: unknown) => DeviceAlertsStateSchema.parse(v) as DeviceAlertsState;

export function buildAlertsService(deps: AlertsServiceDeps, options: AlertsServiceOptions = {}): AlertsService {
  const { bus, core } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'alerts' });
  const serial = createSerialQueue();
  const stats = { signals: 0, commands: 0, changes: 0 };
  let state: StateCache<DeviceAlertsState> | undefined;
  let silences: KeyedView<Silence> | undefined;
  deps.metrics?.addOpenAlertsSource(() => [...(state?.keys() ?? [])].flatMap((id) => Object.values(state!.get(id)?.alerts ?? {})));
  let sub: Subscription | undefined;
  const ctx = () => ({ silences: silences!.values() });
  let task: { stop(): void } | undefined;

  /** Publishes the outputs, then persists state; on failure, reloads state so a retry starts clean. */
  async function emit(changes: AlertChange[], results: CommandResult[] = []) {
    try {
      await Promise.all([
        changes.length && bus.publish('ganzhi.alerts.v1', changes.map((c) => ({ key: c.deviceId, value: c }))),
        results.length && bus.publish('ganzhi.command-results.v1', results.map((r) => ({ key: r.actor, value: r }))),
      ]);
      await state!.flush();
      stats.changes += changes.length;
    } catch (err) {
      state = await StateCache.open(bus, 'alerts', decodeState);
      throw err;
    }
  }

  // A device's state is kept even with no open alert: it carries the device's audit-chain head
  // and the ids of recent inputs (so a re-delivered signal cannot reopen a closed alert).
  function keep(deviceId: string, out: AlertsOutcome) {
    if (!out.unchanged) state!.set(deviceId, out.state);
  }

  const sweep = () =>
    serial(async () => {
      const changes: AlertChange[] = [];
      const t = now();
      for (const deviceId of [...state!.keys()]) {
        const current = state!.get(deviceId)!;
        const due = nextDue(current);
        if (due === undefined || due > t) continue;
        const out = core.tick(current, t, ctx());
        changes.push(...out.changes);
        keep(deviceId, out);
      }
      await emit(changes);
      return changes.length;
    });

  return {
    sweep,
    stats: () => ({ ...stats, silences: silences?.values().length ?? 0 }),
    async start() {
      state = await StateCache.open(bus, 'alerts', decodeState);
      const instance = options.instanceId ?? 'alerts-1';
      silences = await openSilencesView(bus, `alerts.${instance}`);
      sub = await bus.subscribe(options.group ?? 'alerts', {
        'ganzhi.signals.v1': (batch) =>
          serial(async () => {
            const changes: AlertChange[] = [];
            for (const { value: signal } of batch) {
              const out = core.onSignal(state!.get(signal.deviceId), signal, ctx());
              changes.push(...out.changes);
              keep(signal.deviceId, out);
            }
            stats.signals += batch.length;
            await emit(changes);
          }),
        'ganzhi.commands.v1': (batch) =>
          serial(async () => {
            const changes: AlertChange[] = [];
            const results: CommandResult[] = [];
            for (const { value: command } of batch) {
              const out = core.onCommand(state!.get(command.deviceId), command, ctx());
              const base = { commandId: command.id, alertId: command.alertId, action: command.action, actor: command.actor, at: command.at, ...(command.requestId ? { requestId: command.requestId } : {}) };
              keep(command.deviceId, out);
              if (out.refused) {
                results.push({ ...base, ok: false, code: out.refused.code, reason: out.refused.reason });
              } else {
                changes.push(...out.changes);
                const last = out.changes[out.changes.length - 1];
                results.push({ ...base, ok: true, ...(last ? { status: last.status } : {}) });
              }
            }
            stats.commands += batch.length;
            await emit(changes, results);
          }),
      }, {
        // partitions moved between instances: what this one holds in memory may be stale
        onAssigned: () => serial(async () => void (state = await StateCache.open(bus, 'alerts', decodeState))),
      });
      const expr = options.sweepCron ?? '*/15 * * * * *';
      if (expr) {
        task = cron.schedule(expr, () => {
          sweep().catch((err: unknown) => log.error({ err }, 'escalation sweep failed'));
        }, { noOverlap: true });
      }
      log.info('alerts started');
    },
    async close() {
      task?.stop();
      await sub?.close();
      await silences?.close();
      await serial(async () => undefined);
    },
  };
}
