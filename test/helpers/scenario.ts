import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_REGISTRY_FILE } from '@ganzhi/all';
import type { AlertChange, DeadLetter } from '@ganzhi/schemas';
import {
  compareScenario,
  createFleet,
  scenarioFleet,
  executePlan,
  passwordFrom,
  planScenario,
  steppedPacer,
  watchAlerts,
  type Comparison,
  type FleetStats,
  type Plan,
  type Scenario,
} from '@ganzhi/simulators';
import { startPipeline, type RunningPipeline } from './pipeline';

export interface ScenarioReplay {
  readonly plan: Plan;
  readonly comparison: Comparison;
  /** Alert changes as the operator op-alice received them over MQTT. */
  readonly changes: readonly AlertChange[];
  /** Every alert change on the bus (including silenced or inhibited ones that are not paged). */
  readonly recorded: readonly AlertChange[];
  readonly deadLetters: readonly DeadLetter[];
  readonly fleet: Readonly<FleetStats>;
  readonly sweeps: number;
  /** What `options.inspect` returned (run after the replay, before the pipeline stops). */
  readonly inspected?: unknown;
}

/** Polls a cheap synchronous condition every 2 ms (the pipeline works in between), up to a deadline. */
async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A change is paged to operators unless it is silenced or inhibited (services/gateway notify.ts). */
const notifies = (c: AlertChange) => c.notify !== false;

/**
 * Replays a scenario through the whole embedded pipeline as fast as it goes, with the pipeline's
 * clock under control: the gateway stamps each message with the scenario time of its action, and
 * at every `sweepEvery` of scenario time the run waits for the pipeline to process everything sent
 * so far, then runs the rule and alert sweeps at that time. Devices connect over real MQTT with
 * their demo credentials; op-alice watches alerts/#.
 */
export async function replayScenario(scenario: Scenario, options: { seed?: number; env?: Record<string, string>; inspect?: (p: RunningPipeline) => Promise<unknown> } = {}): Promise<ScenarioReplay> {
  let clock = scenario.start;
  // The demo registry, cut down to the scenario's devices (others would only be reported offline).
  const dir = await mkdtemp(join(tmpdir(), 'ganzhi-scenario-'));
  const ids = new Set(scenario.devices.map((d) => d.id));
  const demo = JSON.parse(await readFile(DEMO_REGISTRY_FILE, 'utf8')) as { devices: { id: string }[] };
  const registryFile = join(dir, 'registry.json');
  await writeFile(registryFile, JSON.stringify({ ...demo, devices: demo.devices.filter((d) => ids.has(d.id)) }));
  const p: RunningPipeline = await startPipeline({ dir, now: () => clock, env: { GANZHI_REGISTRY_FILE: registryFile, ...options.env } });
  const recorded: AlertChange[] = [];
  const deadLetters: DeadLetter[] = [];
  try {
    await p.bus.subscribe('test-scenario-watch', {
      'ganzhi.alerts.v1': async (batch) => void recorded.push(...batch.map((d) => d.value)),
      'ganzhi.deadletter.v1': async (batch) => void deadLetters.push(...batch.map((d) => d.value)),
    });
    const watcher = await watchAlerts(p.mqttUrl, 'op-alice', 'demo-op-alice');
    const ports = p.pipeline.gateway.ports();
    const own = new Map(scenario.devices.filter((d) => d.password !== undefined).map((d) => [d.id, d.password!]));
    const password = (id: string) => own.get(id) ?? passwordFrom('demo-{id}')(id);
    const fleet = scenarioFleet(scenario, createFleet({ url: p.mqttUrl, password }), password, { host: '127.0.0.1', ports });
    const plan = planScenario(scenario, options.seed === undefined ? {} : { seed: options.seed });

    /** Everything accepted so far has gone through every stage, and every page reached op-alice. */
    const drain = () =>
      until(
        () => {
          const s = p.pipeline.stats() as {
            gateway: { accepted: number; alertsPublished: number; links: { accepted: number; statuses: number } };
            normalizer: { records: number; readings: number; deadLetters: number };
            rules: { readings: number; signals: number; derived: number };
            alerts: { signals: number; changes: number };
            notifier?: { changes: number };
          };
          return (
            s.normalizer.records === s.gateway.accepted + s.gateway.links.accepted + s.gateway.links.statuses &&
            // derived means go round through the readings topic, to the store and back to rules
            s.rules.readings === s.normalizer.readings + s.rules.derived &&
            s.alerts.signals === s.rules.signals &&
            recorded.length === s.alerts.changes &&
            s.gateway.alertsPublished === recorded.filter(notifies).length &&
            watcher.received() === s.gateway.alertsPublished &&
            (s.notifier === undefined || s.notifier.changes === recorded.length)
          );
        },
        20_000,
        'the pipeline to drain',
      );

    let sweeps = 0;
    const pacer = steppedPacer({
      every: scenario.sweepEvery,
      at: (t) => (clock = plan.start + t),
      step: async (t) => {
        await drain();
        clock = plan.start + t;
        await p.pipeline.rules.sweep();
        await p.pipeline.alerts.sweep();
        sweeps++;
        await drain();
        await p.pipeline.notifier?.sweep();
      },
    });
    try {
      await executePlan(plan, { fleet, pacer });
      await drain();
      // the last groups' waits end, and every notification is delivered (or given up)
      clock += 3_600_000;
      await p.pipeline.notifier?.sweep();
      await until(() => (p.pipeline.notifier?.stats().pending ?? 0) === 0, 20_000, 'the notifications to be delivered');
    } finally {
      await fleet.close();
      await watcher.close();
    }
    const changes = [...watcher.changes()];
    let inspected: unknown;
    if (options.inspect !== undefined) {
      // everything read so far is in the store (the writer is not waited for at each step)
      const s = () => p.pipeline.stats() as { rules: { readings: number }; writer: { readings: number } };
      await until(() => s().writer.readings === s().rules.readings, 20_000, 'the writer to store every reading');
      inspected = await options.inspect(p);
    }
    return { plan, comparison: compareScenario(scenario, plan.start, changes), changes, recorded, deadLetters, fleet: { ...fleet.stats() }, sweeps, inspected };
  } finally {
    await p.stop();
  }
}
