import cron from 'node-cron';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { StateCache, createSerialQueue, type Bus, type Subscription } from '@ganzhi/bus';
import type { Logger } from '@ganzhi/log';
import type { Device, Registry } from '@ganzhi/registry';
import {
  DeviceRuleStateSchema,
  MeansStateSchema,
  SiteRuleStateSchema,
  deriveMeans,
  derivesMeans,
  tickMeans,
  type DeviceRuleState,
  type MeansOutcome,
  type MeansState,
  type RuleEngine,
  type RuleOutcome,
  type SiteRuleState,
} from '@ganzhi/rules';
import { topicKey, type Reading, type Signal } from '@ganzhi/schemas';

export interface RulesServiceDeps {
  bus: Bus;
  registry: Registry;
  engine: RuleEngine;
  logger: Logger;
  now?: () => number;
}

export interface RulesServiceOptions {
  group?: string;
  /** node-cron expression for the time-driven sweep (absence, composite windows); '' disables it. */
  sweepCron?: string;
}

export interface RulesService {
  start(): Promise<void>;
  close(): Promise<void>;
  /** Runs one time-driven sweep now (the cron job calls this; tests call it with a fake clock). */
  sweep(): Promise<number>;
  /** readings consumed (derived ones coming back included), signals and derived readings published. */
  stats(): Readonly<{ readings: number; signals: number; derived: number }>;
}

interface States {
  devices: StateCache<DeviceRuleState>;
  /** Per-site state of site-wide (composite) rules; readings are keyed by site, so one evaluator owns a site. */
  sites: StateCache<SiteRuleState>;
  /** Per-device state of the derived means (packages/rules src/means.ts). */
  means: StateCache<MeansState>;
}

/**
 * The rule evaluator runner: readings in, signals out. Rule state lives in memory and in two state
 * logs (per device and per site). A batch's signals are published, then its state is made
 * durable, then the batch is acknowledged. The engine updates state in place, so when a batch
 * fails the in-memory state is thrown away and reloaded from the logs before the batch is retried.
 */
/** Devices per slice of the sweep (a few ms of the event loop each). */
const SWEEP_SLICE = 500;

export function buildRulesService(deps: RulesServiceDeps, options: RulesServiceOptions = {}): RulesService {
  const { bus, registry, engine } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'rules' });
  const serial = createSerialQueue();
  const stats = { readings: 0, signals: 0, derived: 0 };
  let states: States | undefined;
  let sub: Subscription | undefined;
  let task: { stop(): void } | undefined;
  let closing = false;

  const open = async (): Promise<States> => ({
    devices: await StateCache.open(bus, 'rules.devices', (v) => DeviceRuleStateSchema.parse(v) as DeviceRuleState, { derived: true }),
    sites: await StateCache.open(bus, 'rules.sites', (v) => SiteRuleStateSchema.parse(v) as SiteRuleState, { derived: true }),
    means: await StateCache.open(bus, 'rules.means', (v) => MeansStateSchema.parse(v) as MeansState, { derived: true }),
  });

  /** Applies one outcome to the state caches and collects its signals. */
  function keep(device: Device, out: RuleOutcome, signals: Signal[]) {
    if (out.signals.length) signals.push(...out.signals);
    if (!out.unchanged) states!.devices.set(device.id, out.state);
    if (device.site && out.siteState && !out.siteUnchanged) states!.sites.set(device.site, out.siteState);
  }

  /**
   * Derived means closed by a reading or a sweep: each is evaluated now, before the reading that
   * closed its period (the engine does not hold them to the late-reading mark), and published on
   * the readings topic for the writer. Coming back from the bus they are neither derived nor
   * evaluated again (`origin: 'derived'`). Derivation is deterministic (same ids), so a retried
   * batch republishes the same rows, which the store keeps once.
   */
  function keepMeans(device: Device, out: MeansOutcome, signals: Signal[], derived: Reading[]) {
    if (!out.unchanged) states!.means.set(device.id, out.state);
    for (const r of out.readings) {
      derived.push(r);
      keep(device, engine.evaluate(r, device, states!.devices.get(device.id), siteState(device)), signals);
    }
  }

  /** Publishes derived readings and signals, then persists state; on failure, reloads state so a retry starts clean. */
  async function commit(signals: Signal[], derived: Reading[] = []) {
    try {
      if (derived.length) await bus.publish('ganzhi.readings.v1', derived.map((r) => ({ key: topicKey('ganzhi.readings.v1', r), value: r })));
      if (signals.length) await bus.publish('ganzhi.signals.v1', signals.map((s) => ({ key: topicKey('ganzhi.signals.v1', s), value: s })));
      await states!.means.flush();
      await states!.devices.flush();
      await states!.sites.flush();
      stats.signals += signals.length;
      stats.derived += derived.length;
    } catch (err) {
      states = await open();
      throw err;
    }
  }

  const siteState = (device: Device) => (device.site ? states!.sites.get(device.site) : undefined);

  /**
   * The time-driven sweep (absence, composite windows, means' periods), in slices of
   * SWEEP_SLICE devices, each a task of its own on the serial queue with its own clock and
   * commit: the readings that arrive meanwhile are evaluated between two slices rather than after
   * the whole registry (at 10,000 devices one pass held the event loop ~35 ms every 10 s, and an
   * alert in flight with it).
   */
  const sweep = async (): Promise<number> => {
    const devices = registry.devices();
    let count = 0;
    for (let from = 0; from < devices.length; from += SWEEP_SLICE) {
      // A turn of the event loop first: sockets and the bus's deliveries get in (a slice's own
      // awaits may all be promise jobs, which would chain the slices without one).
      if (from > 0) await nextTurn();
      if (closing) break; // the rest is swept by the next run, after a restart
      count += await serial(async () => {
        const signals: Signal[] = [];
        const derived: Reading[] = [];
        const t = now();
        for (const device of devices.slice(from, from + SWEEP_SLICE)) {
          if (derivesMeans(device.kind)) keepMeans(device, tickMeans(device, states!.means.get(device.id), t), signals, derived);
          keep(device, engine.tick(device, states!.devices.get(device.id), t, siteState(device)), signals);
        }
        await commit(signals, derived);
        return signals.length;
      });
    }
    return count;
  };

  return {
    sweep,
    stats: () => stats,
    async start() {
      states = await open();
      sub = await bus.subscribe(options.group ?? 'rules', {
        'ganzhi.readings.v1': (batch) =>
          serial(async () => {
            const signals: Signal[] = [];
            const derived: Reading[] = [];
            for (const { value: reading } of batch) {
              if (reading.origin === 'derived') continue; // evaluated when derived (keepMeans)
              const device = registry.device(reading.deviceId);
              if (!device) continue; // the normalizer dead-letters unknown devices; one removed since is ignored
              if (derivesMeans(device.kind)) keepMeans(device, deriveMeans(reading, device, states!.means.get(device.id)), signals, derived);
              keep(device, engine.evaluate(reading, device, states!.devices.get(device.id), siteState(device)), signals);
            }
            await commit(signals, derived);
            stats.readings += batch.length;
          }),
      }, {
        // partitions moved between instances: what this one holds in memory may be stale
        onAssigned: () => serial(async () => void (states = await open())),
      });
      const expr = options.sweepCron ?? '*/10 * * * * *';
      if (expr) {
        task = cron.schedule(
          expr,
          () => {
            sweep().catch((err: unknown) => log.error({ err }, 'rule sweep failed'));
          },
          { noOverlap: true },
        );
      }
      log.info({ rules: engine.ruleIds.length }, 'rules started');
    },
    async close() {
      closing = true;
      task?.stop();
      await sub?.close();
      await serial(async () => undefined);
    },
  };
}
