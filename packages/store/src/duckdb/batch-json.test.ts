import { describe, expect, it } from 'vitest';
import { reading } from '../contract-fixtures';
import { encodeReadings } from './batch-json';
import { flattenReadings } from './rows';

interface Decoded {
  d: string[];
  k: string[];
  s: (string | null)[];
  t: number[];
  m: string[][];
  v: number[][];
  u: string[][];
  q: string[][];
}

/** The rows DuckDB's unnest makes of the JSON, as sorted "device|metric|ts|value|kind|site|unit|quality". */
function rowsOf(json: string): string[] {
  const c = JSON.parse(json) as Decoded;
  const out: string[] = [];
  c.d.forEach((d, i) => {
    (c.m[i] ?? []).forEach((m, j) => {
      out.push([d, m, c.t[i], c.v[i]?.[j], c.k[i], c.s[i], c.u[i]?.[j], c.q[i]?.[j]].join('|'));
    });
  });
  return out.sort();
}

function flatRows(readings: Parameters<typeof flattenReadings>[0]): string[] {
  return flattenReadings(readings)
    .map((r) => [r.deviceId, r.metric, r.ts, r.value, r.kind, r.site, r.unit, r.quality].join('|'))
    .sort();
}

describe('encodeReadings', () => {
  it('encodes one row per metric, grouped by reading', () => {
    const batch = [reading('a-1', 'air_monitor', 1000, { fill: 3, site: 's1' }), reading('r-1', 'river_gauge', 2000)];
    const encoded = encodeReadings(batch);
    expect(encoded.rows).toBe(6 + 4);
    expect(rowsOf(encoded.json)).toEqual(flatRows(batch));
  });

  it('collapses a repeated (device, metric, ts) to its last occurrence, as flattenReadings does', () => {
    const batch = [
      reading('r-1', 'river_gauge', 1000, { fill: 1, site: 'old' }),
      reading('r-2', 'river_gauge', 1000, { fill: 5 }),
      reading('r-1', 'river_gauge', 1000, { fill: 2, only: ['water_level'], site: 'new' }),
    ];
    const encoded = encodeReadings(batch);
    expect(encoded.rows).toBe(4 + 4);
    expect(rowsOf(encoded.json)).toEqual(flatRows(batch));
    expect(rowsOf(encoded.json)).toContain('r-1|water_level|1000|2|river_gauge|new|m|N');
  });

  it('counts no rows for readings without metrics', () => {
    expect(encodeReadings([reading('r-1', 'river_gauge', 1000, { only: [] })]).rows).toBe(0);
  });

  it('replaces a lone surrogate with U+FFFD so that the JSON has no unpaired \\u escape', () => {
    const encoded = encodeReadings([reading('x\ud800y', 'river_gauge', 1000, { site: 'ok \ud83d\ude00' })]);
    expect(encoded.json).not.toMatch(/\\ud[89a-f]/);
    const c = JSON.parse(encoded.json) as Decoded;
    expect(c.d).toEqual(['x\ufffdy']);
    expect(c.s).toEqual(['ok \ud83d\ude00']);
  });
});
