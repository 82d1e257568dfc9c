import cron from 'node-cron';
import { StateCache, createSerialQueue, type Bus, type Subscription } from '@ganzhi/bus';
import type { Logger } from '@ganzhi/log';
import type { Registry } from '@ganzhi/registry';
import { DeviceRuleStateSchema, type DeviceRuleState, type RuleEngine } from '@ganzhi/rules';
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
  /** node-cron expression for the time-driven sweep (absence, hold timers); '' disables it. */
  sweepCron?: string;
}

export interface RulesService {
  start(): Promise<void>;
  close(): Promise<void>;
  /** Runs one time-driven sweep now (the cron job calls this; tests call it with a fake clock). */
  sweep(): Promise<number>;
  stats(): Readonly<{ readings: number; signals: number }>;
}

/**
 * The rule evaluator runner: readings in, signals out. Rule state per device lives in memory and
 * in the `rules` state log; a batch's signals are published, then its state is made durable,
 * then the batch is acknowledged.
 */
export function buildRulesService(deps: RulesServiceDeps, options: RulesServiceOptions = {}): RulesService {
  const { bus, registry, engine } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'rules' });
  const serial = createSerialQueue();
  const stats = { readings: 0, signals: 0 };
  let state: StateCache<DeviceRuleState> | undefined;
  let sub: Subscription | undefined;
  let task: { stop(): void } | undefined;

  async function emit(signals: Signal[]) {
    if (signals.length) await bus.publish('ganzhi.signals.v1', signals.map((s) => ({ key: topicKey('ganzhi.signals.v1', s), value: s })));
    await state!.flush();
    stats.signals += signals.length;
  }

  const sweep = () =>
    serial(async () => {
      const signals: Signal[] = [];
      const t = now();
      for (const device of registry.devices()) {
        const out = engine.tick(device, state!.get(device.id), t);
        signals.push(...out.signals);
        if (!out.unchanged) state!.set(device.id, out.state);
      }
      await emit(signals);
      return signals.length;
    });

  return {
    sweep,
    stats: () => stats,
    async start() {
      state = await StateCache.open(bus, 'rules', (v) => DeviceRuleStateSchema.parse(v) as DeviceRuleState);
      sub = await bus.subscribe(options.group ?? 'rules', {
        'ganzhi.readings.v1': (batch) =>
          serial(async () => {
            const signals: Signal[] = [];
            for (const { value: reading } of batch) {
              const device = registry.device(reading.deviceId);
              if (!device) continue; // the normalizer dead-letters unknown devices; a device removed since is ignored
              const out = engine.evaluate(reading, device, state!.get(device.id));
              if (out.signals.length) signals.push(...out.signals);
              if (!out.unchanged) state!.set(device.id, out.state);
            }
            stats.readings += batch.length;
            await emit(signals);
          }),
      });
      const expr = options.sweepCron ?? '*/10 * * * * *';
      if (expr) {
        task = cron.schedule(expr, () => {
          sweep().catch((err: unknown) => log.error({ err }, 'rule sweep failed'));
        }, { noOverlap: true });
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
