import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { formatComparison, loadScenarioFile } from '@ganzhi/simulators';
import { replayScenario } from '../helpers/scenario';

const dir = fileURLToPath(new URL('../../simulators/scenarios/', import.meta.url));

describe('scenario replays through the embedded pipeline', () => {
  for (const name of (process.env.SCENARIOS ?? 'warehouse-fire').split(',')) {
    it(`${name} raises exactly its expected alerts`, async () => {
      const scenario = await loadScenarioFile(`${dir}${name}.json`);
      const t0 = Date.now();
      const run = await replayScenario(scenario);
      const report = formatComparison(run.comparison, run.plan.start);
      console.log(name, Date.now() - t0, 'ms', run.sweeps, 'sweeps', JSON.stringify(run.fleet), 'DL', run.deadLetters.length, run.deadLetters.map((d) => d.code + ' ' + d.reason).slice(0, 20));
      console.log(report);
      expect(run.comparison.ok, report).toBe(true);
    });
  }
});
