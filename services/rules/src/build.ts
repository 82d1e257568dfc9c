import cron from 'node-cron';
import { StateCache, createSerialQueue, type Bus, type Subscription } from '@ganzhi/bus';
import type { Logger } from '@ganzhi/log';
import type { Device, Registry } from '@ganzhi/registry';
import {
  DeviceRuleStateSchema,
  SiteRuleStateSchema,
  type DeviceRuleState,
  type RuleEngine,
  type RuleOutcome,
  type SiteRuleState,
} from '@ganzhi/rules';
import { topicKey, type Signal } from '@ganzhi/schemas';

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
  stats(): Readonly<{ readings: number; signals: number }>;
}

interface States {
  devices: StateCache<DeviceRuleState>;
  /** Per-site state of site-wide (composite) rules; readings are keyed by site, so one evaluator owns a site. */
  sites: StateCache<SiteRuleState>;
}

/**
 * The rule evaluator runner: readings in, signals out. Rule state lives in memory and in two state
 * logs (per device and per site). A batch's signals are published, then its state is made
 * durable, then the batch is acknowledged. The engine updates state in place, so when a batch
 * fails the in-memory state is thrown away and reloaded from the logs before the batch is retried.
 */
export function buildRulesService(deps: RulesServiceDeps, options: RulesServiceOptions = {}): RulesService {
  const { bus, registry, engine } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'rules' });
  const serial = createSerialQueue();
  const stats = { readings: 0, signals: 0 };
  let states: States | undefined;
  let sub: Subscription | undefined;
  let task: { stop(): void } | undefined;

  const open = async (): Promise<States> => ({
    devices: await StateCache.open(bus, 'rules.devices', (v) => DeviceRuleStateSchema.parse(v) as DeviceRuleState),
    sites: await StateCache.open(bus, 'rules.sites', (v) => SiteRuleStateSchema.parse(v) as SiteRuleState),
  });

  /** Applies one outcome to the state caches and collects its signals. */
  function keep(device: Device, out: RuleOutcome, signals: Signal[]) {
    if (out.signals.length) signals.push(...out.signals);
    if (!out.unchanged) states!.devices.set(device.id, out.state);
    if (device.site && out.siteState && !out.siteUnchanged) states!.sites.set(device.site, out.siteState);
  }

  /** Publishes the signals, then persists state; on failure, reloads state so a retry starts clean. */
  async function commit(signals: Signal[]) {
    try {
      if (signals.length) await bus.publish('ganzhi.signals.v1', signals.map((s) => ({ key: topicKey('ganzhi.signals.v1', s), value: s })));
      await states!.devices.flush();
      await states!.sites.flush();
      stats.signals += signals.length;
    } catch (err) {
      states = await open();
      throw err;
    }
  }

  const siteState = (device: Device) => (device.site ? states!.sites.get(device.site) : undefined);

  const sweep = () =>
    serial(async () => {
      const signals: Signal[] = [];
      const t = now();
      for (const device of registry.devices()) {
        keep(device, engine.tick(device, states!.devices.get(device.id), t, siteState(device)), signals);
      }
      await commit(signals);
      return signals.length;
    });

  return {
    sweep,
    stats: () => stats,
    async start() {
      states = await open();
      sub = await bus.subscribe(options.group ?? 'rules', {
        'ganzhi.readings.v1': (batch) =>
          serial(async () => {
            const signals: Signal[] = [];
            for (const { value: reading } of batch) {
              const device = registry.device(reading.deviceId);
              if (!device) continue; // the normalizer dead-letters unknown devices; one removed since is ignored
              keep(device, engine.evaluate(reading, device, states!.devices.get(device.id), siteState(device)), signals);
            }
            await commit(signals);
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
      task?.stop();
      await sub?.close();
      await serial(async () => undefined);
    },
  };
}
