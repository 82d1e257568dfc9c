import { randomUUID } from 'node:crypto';
import cron from 'node-cron';
import { StateCache, createSerialQueue, type Bus, type KeyedView, type Subscription } from '@ganzhi/bus';
import {
  DeviceAlertsStateSchema,
  nextDue,
  signCheckpoint,
  signHead,
  type AlertsCore,
  type AlertsOutcome,
  type AuditKeyring,
  type DeviceAlertsState,
} from '@ganzhi/alerts';
import type { Logger } from '@ganzhi/log';
import type { Metrics } from '@ganzhi/metrics';
import { allows, commandAction, type Registry } from '@ganzhi/registry';
import { openSilencesView } from '@ganzhi/runtime';
import type { AlertChange, Command, CommandResult, Refusal, Silence } from '@ganzhi/schemas';
import { openCheckpointFile, type CheckpointFile } from './checkpoints';

export interface AlertsServiceDeps {
  bus: Bus;
  core: AlertsCore;
  logger: Logger;
  now?: () => number;
  /** This process's metrics: `ganzhi_alerts_open` is read from the state held here. */
  metrics?: Metrics;
  /**
   * The registry: each command's actor must hold a role that allows the action (policy.ts),
   * whatever path the command came by. Without one, roles are not checked (unit tests).
   */
  registry?: Registry;
  /** The audit keyring the core hashes with; heads and checkpoints are signed with it. */
  keyring?: AuditKeyring;
}

export interface AlertsServiceOptions {
  group?: string;
  /** node-cron expression for the escalation sweep; '' disables it. */
  sweepCron?: string;
  /** This instance: it follows every silence through a consumer group of its own. */
  instanceId?: string;
  /** node-cron expression for audit checkpoints (signed heads to the bus and the file); '' disables. */
  checkpointCron?: string;
  /** The append-only checkpoint file (e.g. `<data>/audit/checkpoints.ndjson`); none = bus only. */
  checkpointFile?: string;
}

export interface AlertsService {
  start(): Promise<void>;
  close(): Promise<void>;
  /** One escalation sweep now (cron calls it; tests call it with a fake clock). */
  sweep(): Promise<number>;
  /** Signs and records the heads that moved since the last checkpoint; returns how many. */
  checkpoint(): Promise<number>;
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
  let checkpointTask: { stop(): void } | undefined;
  let file: CheckpointFile | undefined;
  /** Device heads that moved since the last checkpoint. */
  const moved = new Map<string, { seq: number; hash: string }>();

  /** Whether the command's actor may perform its action; undefined = allowed. */
  function forbidden(command: Command): string | undefined {
    if (!deps.registry) return undefined;
    const operator = deps.registry.operator(command.actor);
    const action = commandAction(command.action);
    if (!operator) return `${command.actor} is not an operator of the registry`;
    return allows(operator.roles, action) ? undefined : `${command.actor} (roles ${operator.roles.join(', ')}) may not ${action}`;
  }

  /** Publishes the outputs, then persists state; on failure, reloads state so a retry starts clean. */
  async function emit(changes: AlertChange[], results: CommandResult[] = [], refusals: Refusal[] = []) {
    try {
      await Promise.all([
        refusals.length && bus.publish('ganzhi.audit.v1', refusals.map((r) => ({ key: r.actor, value: r }))),
        changes.length && bus.publish('ganzhi.alerts.v1', changes.map((c) => ({ key: c.deviceId, value: c }))),
        results.length && bus.publish('ganzhi.command-results.v1', results.map((r) => ({ key: r.actor, value: r }))),
      ]);
      await state!.flush();
      stats.changes += changes.length;
      for (const c of changes) if (c.deviceSeq !== undefined && c.hash) moved.set(c.deviceId, { seq: c.deviceSeq, hash: c.hash });
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

  const checkpoint = () =>
    serial(async () => {
      if (!deps.keyring || moved.size === 0) return 0;
      const at = now();
      const heads = [...moved].map(([deviceId, h]) => ({ deviceId, ...h }));
      const prevMac = file?.lastMac();
      const signed = signCheckpoint(deps.keyring, { id: `cp-${at}-${randomUUID().slice(0, 8)}`, at, heads, ...(prevMac ? { prevMac } : {}) });
      await file?.append(signed);
      await bus.publish('ganzhi.audit-heads.v1', heads.map((h) => ({ key: h.deviceId, value: signHead(deps.keyring!, { ...h, at }) })));
      moved.clear();
      return heads.length;
    });

  return {
    sweep,
    checkpoint,
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
            const refusals: Refusal[] = [];
            for (const { value: command } of batch) {
              const denied = forbidden(command);
              if (denied) {
                const code = 'GANZHI_ERR_ALERT_FORBIDDEN';
                results.push({ commandId: command.id, alertId: command.alertId, action: command.action, actor: command.actor, at: command.at, ...(command.requestId ? { requestId: command.requestId } : {}), ok: false, code, reason: denied });
                refusals.push({ id: `alerts.${command.id}`, at: command.at, actor: command.actor, action: commandAction(command.action), target: command.alertId, via: 'bus', code, reason: `${denied} (command ${command.id} via ${command.via})` });
                continue;
              }
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
            await emit(changes, results, refusals);
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
      if (options.checkpointFile) file = await openCheckpointFile(options.checkpointFile);
      const cpExpr = options.checkpointCron ?? '*/10 * * * * *';
      if (cpExpr && deps.keyring) {
        checkpointTask = cron.schedule(cpExpr, () => {
          checkpoint().catch((err: unknown) => log.error({ err }, 'audit checkpoint failed'));
        }, { noOverlap: true });
      }
      log.info('alerts started');
    },
    async close() {
      task?.stop();
      checkpointTask?.stop();
      await sub?.close();
      await checkpoint().catch((err: unknown) => log.error({ err }, 'last audit checkpoint failed'));
      await silences?.close();
      await serial(async () => undefined);
    },
  };
}
