import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  compareScenario,
  createFleet,
  executePlan,
  fastPacer,
  formatComparison,
  loadScenarioFile,
  occurrencesOf,
  parseRecording,
  passwordFrom,
  recordTraffic,
  replayPlan,
  runScenario,
  watchAlerts,
} from '@ganzhi/simulators';
import { startPipeline } from '../helpers/pipeline';

const file = fileURLToPath(new URL('../../simulators/scenarios/warehouse-fire.json', import.meta.url));
const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('recording live traffic and replaying it', () => {
  it('records what an admin operator sees, and a fast replay into a fresh pipeline raises the same alerts', async () => {
    const scenario = await loadScenarioFile(file);
    // Recent device time: the rules judge readings against the wall clock too (absence), so a
    // scenario dated weeks ago would not play the same today as on the day it was written.
    const start = Math.floor((Date.now() - 6 * 3600_000) / 60_000) * 60_000;

    // 1. Run the scenario against a live pipeline while op-admin records devices/# and alerts/#.
    const first = await startPipeline();
    const lines: string[] = [];
    const stop = new AbortController();
    let original;
    try {
      const recording = recordTraffic({ url: first.mqttUrl, username: 'op-admin', password: 'demo-op-admin', filters: ['devices/#', 'alerts/#'], write: (l) => void lines.push(l), signal: stop.signal });
      await pause(200); // subscribed before the first device connects
      original = await runScenario({
        scenario,
        url: first.mqttUrl,
        start,
        pacer: fastPacer(),
        operator: { username: 'op-alice', password: 'demo-op-alice' },
        status: false, // timestamps in the past: see FleetOptions.status
        settle: () => pause(500),
      });
      stop.abort();
      expect((await recording).refused).toEqual([]);
    } finally {
      await first.stop();
    }
    expect(original.comparison.ok, formatComparison(original.comparison, original.plan.start)).toBe(true);

    const rec = parseRecording(lines.join(''));
    const telemetry = rec.messages.filter((m) => m.topic.endsWith('/telemetry'));
    expect(telemetry).toHaveLength(original.fleet.acked);
    expect(rec.messages.some((m) => m.topic.startsWith('alerts/'))).toBe(true);

    // 2. Replay the recording as fast as possible into a fresh pipeline.
    const second = await startPipeline();
    try {
      const watcher = await watchAlerts(second.mqttUrl, 'op-alice', 'demo-op-alice');
      const fleet = createFleet({ url: second.mqttUrl, password: passwordFrom('demo-{id}'), status: false });
      const plan = replayPlan(rec);
      const result = await executePlan(plan, { fleet, pacer: fastPacer() });
      await fleet.close();
      expect(result.telemetry).toBe(telemetry.length);
      expect(fleet.stats().acked).toBe(telemetry.length);
      const want = occurrencesOf(original.changes).map((o) => `${o.deviceId} ${o.ruleId} ${o.level} ${o.at}`);
      for (let i = 0; i < 100 && occurrencesOf(watcher.changes()).length < want.length; i++) await pause(50);
      await watcher.close();
      // The payloads carry their original timestamps, so the alerts are the same, at the same times.
      expect(occurrencesOf(watcher.changes()).map((o) => `${o.deviceId} ${o.ruleId} ${o.level} ${o.at}`)).toEqual(want);
      expect(compareScenario(scenario, start, watcher.changes()).ok).toBe(true);
    } finally {
      await second.stop();
    }
  });
});
