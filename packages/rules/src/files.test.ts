import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_KINDS, IdSchema, isGanzhiError } from '@ganzhi/schemas';
import { createRuleEngine } from './engine';
import { loadRuleFiles } from './load';
import { parseRuleFile } from './schema';
import { device, run } from './test-support';

const DEFAULTS = fileURLToPath(new URL('../../../deploy/rules', import.meta.url));

const rule = (extra: Record<string, unknown> = {}) => ({
  id: 'r1',
  title: 't',
  source: 's',
  kind: 'river_gauge',
  type: 'threshold',
  metric: 'x',
  direction: 'above',
  thresholds: { yellow: 1 },
  ...extra,
});

function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('rule files', () => {
  it('an invalid field is reported with the file name and the field path', () => {
    const err = caught(() => parseRuleFile({ rules: [rule(), rule({ id: 'r2', thresholds: { red: 'high' } })] }, 'deploy/rules/river.json'));
    expect(isGanzhiError(err, 'GANZHI_ERR_RULE_INVALID')).toBe(true);
    expect(err.message).toContain('deploy/rules/river.json: rules[1].thresholds.red');
  });

  it('an unknown field is refused rather than silently ignored', () => {
    const err = caught(() => parseRuleFile({ rules: [rule({ treshold: 3 })] }, 'a.json'));
    expect(err.message).toContain('a.json: rules[0]');
    expect(err.message).toContain('treshold');
  });

  it('grades out of order are refused (a typo guard)', () => {
    const err = caught(() => parseRuleFile({ rules: [rule({ thresholds: { yellow: 5, orange: 3 } })] }, 'a.json'));
    expect(err.message).toContain('rules[0].thresholds.orange');
  });

  it('a duplicate rule id in one file, or across files, is refused naming both places', () => {
    expect(caught(() => parseRuleFile({ rules: [rule(), rule()] }, 'a.json')).message).toContain('rules[1].id');
    const a = parseRuleFile({ rules: [rule()] }, 'a.json');
    const b = parseRuleFile({ rules: [rule()] }, 'b.json');
    const err = caught(() => createRuleEngine([a, b]));
    expect(isGanzhiError(err, 'GANZHI_ERR_RULE_INVALID')).toBe(true);
    expect(err.message).toMatch(/b\.json.*a\.json/);
  });

  it('a composite attributed to a term without a kind is refused', () => {
    const composite = { id: 'c', title: 't', source: 's', kind: 'port_device', type: 'composite', scope: 'site', windowSec: 60, level: 'red', all: [{ metric: 'x', op: 'gt', value: 1 }], attributeTo: 0 };
    expect(caught(() => parseRuleFile({ rules: [composite] }, 'c.json')).message).toContain('rules[0].all[0].kind');
  });

  describe('loadRuleFiles', () => {
    let dir: string | undefined;
    afterEach(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    });

    it('reads every .json file of a directory in name order, and names a file that is not JSON', async () => {
      dir = await mkdtemp(join(tmpdir(), 'ganzhi-rules-'));
      await writeFile(join(dir, 'b.json'), JSON.stringify({ rules: [rule({ id: 'b' })] }));
      await writeFile(join(dir, 'a.json'), JSON.stringify({ rules: [rule({ id: 'a' })] }));
      await writeFile(join(dir, 'notes.txt'), 'ignored');
      const files = await loadRuleFiles(dir);
      expect(files.map((f) => f.rules[0]!.id)).toEqual(['a', 'b']);
      expect(files[0]!.source).toBe(join(dir, 'a.json'));
      await writeFile(join(dir, 'c.json'), '{ "rules": [ ');
      await expect(loadRuleFiles(dir)).rejects.toMatchObject({ code: 'GANZHI_ERR_RULE_INVALID', message: expect.stringContaining('c.json') });
    });
  });

  describe('default rule files (deploy/rules)', () => {
    it('parse, cover all four device kinds, and give every rule an id, title and source', async () => {
      const files = await loadRuleFiles(DEFAULTS);
      const engine = createRuleEngine(files);
      const rules = files.flatMap((f) => f.rules);
      for (const kind of DEVICE_KINDS) expect(rules.some((r) => r.kind === kind)).toBe(true);
      for (const r of rules) {
        expect(IdSchema.safeParse(r.id).success).toBe(true);
        expect(r.title.length).toBeGreaterThan(0);
        expect(r.source.length).toBeGreaterThan(10);
      }
      expect(engine.ruleIds).toHaveLength(rules.length);
      for (const kind of DEVICE_KINDS) expect(rules.some((r) => r.kind === kind && r.type === 'absence')).toBe(true);
    });

    it('the demo gauge (warning 12.5, guaranteed 14.0, historical max 15.2) at 15.5 m raises red', async () => {
      const engine = createRuleEngine(await loadRuleFiles(DEFAULTS));
      const gauge = device('demo-gauge', 'river_gauge', { attributes: { warningLevel: 12.5, guaranteedLevel: 14.0, historicalMax: 15.2 } });
      const { signals } = run(engine, [gauge], [{ t: 0, m: { waterLevel: 15.5 } }]);
      expect(signals).toEqual([expect.objectContaining({ ruleId: 'river-flood-level', state: 'raise', level: 'red', value: 15.5, threshold: 15.2 })]);
    });

    it('fire: residual current 350 mA twice raises yellow; smoke and heat at one site raise red', async () => {
      const engine = createRuleEngine(await loadRuleFiles(DEFAULTS));
      const a = device('det-a', 'fire_sensor', { site: 'tower-1' });
      const b = device('det-b', 'fire_sensor', { site: 'tower-1' });
      const { lines } = run(engine, [a, b], [
        { t: 0, m: { residualCurrent: 350 } },
        { t: 60, m: { residualCurrent: 350 } },
        { t: 100, dev: 'det-b', m: { smokeAlarm: 1 } },
        { t: 120, m: { temperature: 60 } },
      ]);
      expect(lines).toEqual(['60s det-a raise:yellow', '100s det-b raise:orange', '120s det-a raise:orange', '120s det-a raise:red']);
    });

    it('port: a crane operating while the anemometer sees a 21 m/s gust raises red on the crane', async () => {
      const engine = createRuleEngine(await loadRuleFiles(DEFAULTS));
      const anemo = device('anemo-1', 'port_device', { site: 'berth-3' });
      const crane = device('qc-07', 'port_device', { site: 'berth-3' });
      const { signals } = run(engine, [anemo, crane], [
        { t: 0, dev: 'qc-07', s: { craneState: 'operating' } },
        { t: 30, m: { windGust: 21, windSpeed: 12 } },
      ]);
      expect(signals.map((s) => `${s.deviceId} ${s.ruleId} ${s.level}`)).toEqual(['anemo-1 port-wind-mean blue', 'anemo-1 port-wind-gust orange', 'qc-07 port-crane-wind red']);
    });
  });
});
