import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatComparison, listScenarioFiles, loadScenarioFile } from '@ganzhi/simulators';
import { replayScenario, type ScenarioReplay } from '../helpers/scenario';

const dir = fileURLToPath(new URL('../../simulators/scenarios/', import.meta.url));
const files = await listScenarioFiles(dir);

/** Each scenario is replayed once; several tests look at the same run. */
const runs = new Map<string, Promise<ScenarioReplay>>();
const replay = (file: string) => {
  let run = runs.get(file);
  if (!run) runs.set(file, (run = loadScenarioFile(file).then((s) => replayScenario(s))));
  return run;
};

describe('every shipped scenario, replayed through the embedded pipeline with a controlled clock', () => {
  it('ships the five required scenarios', () => {
    const names = files.map((f) => f.slice(dir.length, -'.json'.length));
    expect(names).toEqual(expect.arrayContaining(['river-flood-crest', 'urban-haze-episode', 'warehouse-fire', 'port-typhoon', 'quiet-day']));
  });

  for (const file of files) {
    const name = file.slice(dir.length, -'.json'.length);
    it(`${name} raises exactly its expected alerts, at the expected grades, in their windows`, async () => {
      const scenario = await loadScenarioFile(file);
      const run = await replay(file);
      const report = formatComparison(run.comparison, run.plan.start);
      expect(run.fleet.failed, 'every QoS 1 publish was acknowledged').toBe(0);
      expect(run.fleet.acked).toBe(run.fleet.published);
      expect(run.comparison.ok, `\n${report}\n`).toBe(true);
      expect(run.comparison.matched).toHaveLength(scenario.expect.length);
    });
  }

  it('quiet-day rejects each malformed payload with a typed reason and raises nothing for it', async () => {
    const run = await replay(`${dir}quiet-day.json`);
    const malformed = run.plan.actions.filter((a) => a.type === 'telemetry' && a.faults?.includes('malformed'));
    expect(malformed.length).toBeGreaterThanOrEqual(8);
    const telemetryDeadLetters = run.deadLetters.filter((d) => (d.source.value as { topic?: string }).topic?.endsWith('/telemetry'));
    expect(telemetryDeadLetters).toHaveLength(malformed.length);
    expect(new Set(telemetryDeadLetters.map((d) => d.code))).toEqual(
      new Set(['GANZHI_ERR_NORM_NOT_JSON', 'GANZHI_ERR_NORM_BAD_CRC', 'GANZHI_ERR_NORM_SCHEMA', 'GANZHI_ERR_NORM_NOT_FINITE', 'GANZHI_ERR_NORM_OUT_OF_RANGE']),
    );
    expect(run.recorded.filter((c) => c.event.type === 'raised')).toEqual([]);
  });
});
