import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareScenario, formatComparison, loadScenarioFile, parseScenario, type Scenario, type ScenarioInput } from '@ganzhi/simulators';
import { replayScenario, type ScenarioReplay } from '../helpers/scenario';

/*
 * The comparison must fail loudly when the platform and a scenario disagree. One replay of the
 * warehouse fire, then the same raised alerts compared with deliberately broken expectations.
 */

const file = fileURLToPath(new URL('../../simulators/scenarios/warehouse-fire.json', import.meta.url));
let scenario: Scenario;
let run: ScenarioReplay;

beforeAll(async () => {
  scenario = await loadScenarioFile(file);
  run = await replayScenario(scenario);
});

/** The scenario with its expectation list edited (validated again, as a file would be). */
async function broken(edit: (expect: ScenarioInput['expect'] & object[]) => void): Promise<Scenario> {
  const doc = JSON.parse(await readFile(file, 'utf8')) as ScenarioInput;
  const expect = [...(doc.expect ?? [])];
  edit(expect);
  return parseScenario({ ...doc, expect });
}

describe('a scenario whose expectations are broken', () => {
  it('passes as shipped (the baseline for the broken variants)', () => {
    expect(run.comparison.ok, formatComparison(run.comparison, run.plan.start)).toBe(true);
  });

  it('reports an expected grade that was never reached as WRONG GRADE, naming the grades that were raised', async () => {
    const s = await broken((x) => {
      const i = x.findIndex((e) => e.device === 'fire-002' && e.rule === 'fire-hydrant-pressure-low' && e.grade === 'orange');
      x[i] = { ...x[i]!, grade: 'red' };
    });
    const c = compareScenario(s, run.plan.start, run.changes);
    expect(c.ok).toBe(false);
    expect(c.missing).toEqual([]);
    expect(c.wrongGrade).toHaveLength(1);
    expect(c.wrongGrade[0]!.expected).toMatchObject({ device: 'fire-002', rule: 'fire-hydrant-pressure-low', grade: 'red' });
    expect(c.wrongGrade[0]!.got.map((o) => o.level)).toEqual(['yellow', 'orange']);
    expect(formatComparison(c, run.plan.start)).toMatch(/WRONG GRADE +fire-002 fire-hydrant-pressure-low: expected red \(I\) within 30m of pump-trips, got yellow \(III\) raised at \+1h\d\dm\d\ds, orange \(II\) upgraded at \+1h\d\dm\d\ds/);
  });

  it('reports an alert that never came as MISSING, and one outside its window as MISSING with where it was seen', async () => {
    const s = await broken((x) => {
      x.push({ device: 'fire-002', rule: 'fire-offline', grade: 'yellow', after: 'fire-starts', within: '1h' });
      const i = x.findIndex((e) => e.device === 'fire-001' && e.rule === 'fire-smoke-and-heat');
      x[i] = { ...x[i]!, after: 'pump-trips', within: '10m' };
    });
    const c = compareScenario(s, run.plan.start, run.changes);
    expect(c.ok).toBe(false);
    expect(c.missing.map((m) => `${m.expected.device} ${m.expected.rule}`)).toEqual(['fire-001 fire-smoke-and-heat', 'fire-002 fire-offline']);
    expect(c.missing[0]!.seen.map((o) => o.level)).toEqual(['red']);
    expect(c.missing[1]!.seen).toEqual([]);
    // The red that did come, at the wrong time, is not silently accepted either.
    expect(c.unexpected.map((o) => `${o.deviceId} ${o.ruleId} ${o.level}`)).toEqual(['fire-001 fire-smoke-and-heat red']);
    const text = formatComparison(c, run.plan.start);
    expect(text).toMatch(/MISSING +fire-002 fire-offline yellow \(III\) within 1h of fire-starts \(\+30m\.\.\+1h30m\): none raised$/m);
    expect(text).toMatch(/MISSING +fire-001 fire-smoke-and-heat red \(I\) within 10m of pump-trips .*outside the window: red \(I\) raised at \+41m\d\ds/);
    expect(text).toMatch(/result: DIFFERENT from expected/);
  });

  it('reports an alert nobody expected as UNEXPECTED', async () => {
    const s = await broken((x) => x.splice(x.findIndex((e) => e.rule === 'fire-sprinkler-pressure-low'), 1));
    const c = compareScenario(s, run.plan.start, run.changes);
    expect(c.ok).toBe(false);
    expect(c.unexpected.map((o) => `${o.deviceId} ${o.ruleId} ${o.level} ${o.type}`)).toEqual(['fire-002 fire-sprinkler-pressure-low yellow raised']);
    expect(formatComparison(c, run.plan.start)).toMatch(/UNEXPECTED +fire-002 fire-sprinkler-pressure-low yellow \(III\) raised at \+\d+m\d\ds/);
  });
});
