import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Reading, Signal } from '@ganzhi/schemas';
import { computeAqi, type AqiIndicator } from './aqi';
import { createRuleEngine } from './engine';
import { loadRuleFiles } from './load';
import { deriveMeans, type MeansState } from './means';
import type { DeviceRuleState } from './state';
import { device } from './test-support';

/**
 * The worked-example table of packages/rules/README.md, row by row: real-time values through the
 * derived means and the default air rules, every column compared.
 */
const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
const block = readme.slice(readme.indexOf('<!-- worked-example:start -->'), readme.indexOf('<!-- worked-example:end -->'));
const rows = block
  .split('\n')
  .filter((l) => /^\| \d+ \|/.test(l))
  .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
const engine = createRuleEngine(await loadRuleFiles(fileURLToPath(new URL('../../../deploy/rules', import.meta.url))));
const air = device('aq-1', 'air_monitor', { reportIntervalSec: 300 });
const HOUR = 3_600_000;

/** `pm25_1h 80, pm10_1h 150` -> { pm25_1h: 80, pm10_1h: 150 } */
const pairs = (cell: string): Record<string, number> => Object.fromEntries(cell.split(',').map((p) => p.trim().split(' ') as [string, string]).map(([k, v]) => [k, Number(v)]));
/** Stored metric name -> the HJ 633 indicator it is rated as. */
const indicator = (metric: string): AqiIndicator => metric.replace('_dmax', '').replace('_day', '_24h') as AqiIndicator;

describe('the worked example in packages/rules/README.md', () => {
  it('has its rows', () => expect(rows.length).toBeGreaterThanOrEqual(8));

  for (const [n, table, report, values, means, iaqi, aqi, category, alert] of rows as string[][] as [string, string, string, string, string, string, string, string, string][]) {
    it(`row ${n}: ${values} -> ${means} -> ${aqi} (${table}, ${report})`, () => {
      // 00:00 China time on a day under the row's table
      const t0 = table === 'HJ633-2012' ? Date.UTC(2025, 4, 31, 16) : Date.UTC(2026, 4, 31, 16);
      const series = Object.fromEntries(values.split(';').map((p) => p.split(':').map((x) => x.trim()) as [string, string]).map(([k, v]) => [k, v.split(/\s+/).map(Number)]));
      const hours = report === 'daily' ? 24 : 1;
      const inputs: Reading[] = [];
      for (let k = 0; k < hours * 12; k++) {
        const metrics: Reading['metrics'] = {};
        for (const [name, vs] of Object.entries(series)) metrics[name] = { value: vs[k % vs.length]!, unit: name === 'co' ? 'mg/m3' : 'ug/m3', quality: 'N' };
        inputs.push({ deviceId: air.id, kind: 'air_monitor', ts: t0 + k * 300_000, metrics, sourceId: `rt-${k}`, receivedAt: t0 + k * 300_000 });
      }
      inputs.push({ deviceId: air.id, kind: 'air_monitor', ts: t0 + hours * HOUR + 60_000, metrics: {}, sourceId: 'closer', receivedAt: t0 + hours * HOUR + 60_000 });

      let ms: MeansState | undefined;
      let st: DeviceRuleState | undefined;
      const derived: Reading[] = [];
      const signals: Signal[] = [];
      for (const r of inputs) {
        const o = deriveMeans(r, air, ms);
        ms = o.state;
        for (const d of [...o.readings, r]) {
          if (d !== r) derived.push(d);
          const out = engine.evaluate(d, air, st);
          st = out.state;
          signals.push(...out.signals);
        }
      }

      // values -> means
      const set = derived.find((d) => d.period === (report === 'daily' ? 'day' : 'hour') && d.ts === t0)!;
      expect(set, 'the derived reading of the period').toBeDefined();
      const expectedMeans = pairs(means);
      for (const [k, v] of Object.entries(expectedMeans)) expect(set.metrics[k]?.value, k).toBeCloseTo(v, 3);
      // means -> IAQI -> AQI -> category
      const conc = Object.fromEntries(Object.entries(expectedMeans).map(([k, v]) => [indicator(k), v]));
      const res = computeAqi(conc, t0, { report: report as 'hourly' | 'daily' });
      expect(res.version).toBe(table);
      expect(res.iaqi).toEqual(Object.fromEntries(Object.entries(pairs(iaqi)).map(([k, v]) => [indicator(k), v])));
      const na = /^NA \(partial (\d+)\)$/.exec(aqi);
      if (na) {
        expect(res.aqi).toBeNull();
        expect(Math.max(...Object.values(res.iaqi))).toBe(Number(na[1]));
        expect(category).toBe('—');
      } else {
        expect(res.aqi).toBe(Number(aqi));
        expect(`${['一', '二', '三', '四', '五', '六'][res.band!.category - 1]}级 ${res.band!.nameEn}`).toBe(category);
      }
      // -> the alert the default rules raise, at the end of the period
      const raised = signals.filter((s) => s.state === 'raise');
      if (alert === 'none') expect(raised).toEqual([]);
      else {
        expect(raised.map((s) => `${s.ruleId} ${s.level}`)).toEqual(alert.split('; '));
        const last = raised[raised.length - 1]!;
        expect(last.ts).toBe(t0 + hours * HOUR);
        expect(last.value).toBe(Number(aqi));
      }
    });
  }
});
