import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, MINUTE_MS, checkRetention, maintenanceWindow, mergeBuckets, planRange } from './plan';

const T = 1_700_000_000_000 - (1_700_000_000_000 % DAY_MS); // a midnight
const q = (from: number, to: number, bucketMs: number) => ({ deviceId: 'd', metric: 'm', from, to, bucketMs });

describe('planRange', () => {
  it('reads raw rows only when the bucket is not a whole number of minutes', () => {
    expect(planRange(q(T, T + DAY_MS, 30_000), T + DAY_MS)).toEqual([{ source: 'raw', from: T, to: T + DAY_MS }]);
  });

  it('uses the hourly rollup for hour multiples and the minute rollup for minute multiples', () => {
    expect(planRange(q(T, T + DAY_MS, DAY_MS), T + 2 * DAY_MS)).toEqual([{ source: '1h', from: T, to: T + DAY_MS }]);
    expect(planRange(q(T, T + HOUR_MS, 5 * MINUTE_MS), T + DAY_MS)).toEqual([{ source: '1m', from: T, to: T + HOUR_MS }]);
  });

  it('reads unaligned edges and whatever is newer than the rollups from raw rows', () => {
    const from = T + 90 * MINUTE_MS; // 01:30
    const to = T + 10 * HOUR_MS + 5 * MINUTE_MS;
    const through = T + 6 * HOUR_MS + 17 * MINUTE_MS; // rolled up to 06:17: hours to 06:00
    expect(planRange(q(from, to, HOUR_MS), through)).toEqual([
      { source: 'raw', from, to: T + 2 * HOUR_MS },
      { source: '1h', from: T + 2 * HOUR_MS, to: T + 6 * HOUR_MS },
      { source: 'raw', from: T + 6 * HOUR_MS, to },
    ]);
  });

  it('uses the rollup up to the end of the range when the server keeps it current', () => {
    expect(planRange(q(T, T + DAY_MS + 5, HOUR_MS), Number.POSITIVE_INFINITY)).toEqual([
      { source: '1h', from: T, to: T + DAY_MS },
      { source: 'raw', from: T + DAY_MS, to: T + DAY_MS + 5 },
    ]);
  });

  it('falls back to raw rows when nothing is rolled up yet, and is empty for an empty range', () => {
    expect(planRange(q(T, T + DAY_MS, HOUR_MS), 0)).toEqual([{ source: 'raw', from: T, to: T + DAY_MS }]);
    expect(planRange(q(T, T, HOUR_MS), T + DAY_MS)).toEqual([]);
  });
});

describe('mergeBuckets', () => {
  it('adds counts, weighs means, and takes last from the later segment', () => {
    const a = [{ ts: 0, avg: 2, min: 1, max: 3, last: 3, count: 2 }];
    const b = [
      { ts: 0, avg: 10, min: 10, max: 10, last: 10, count: 1 },
      { ts: 60, avg: 1, min: 1, max: 1, last: 1, count: 1 },
    ];
    expect(mergeBuckets([a, b])).toEqual([
      { ts: 0, avg: 14 / 3, min: 1, max: 10, last: 10, count: 3 },
      { ts: 60, avg: 1, min: 1, max: 1, last: 1, count: 1 },
    ]);
  });
});

describe('retention', () => {
  it('refuses windows under a minute or that do not nest', () => {
    expect(() => checkRetention({ rawMs: 1000, rollup1mMs: DAY_MS, rollup1hMs: DAY_MS })).toThrow(/GANZHI|retention/);
    expect(() => checkRetention({ rawMs: 2 * DAY_MS, rollup1mMs: DAY_MS, rollup1hMs: DAY_MS })).toThrow(/nest/);
    expect(checkRetention({ rawMs: DAY_MS, rollup1mMs: DAY_MS, rollup1hMs: 2 * DAY_MS }).rawMs).toBe(DAY_MS);
  });

  it('rolls minutes from where the last run stopped up to the current minute, hours up to the current hour', () => {
    const r = { rawMs: DAY_MS, rollup1mMs: 2 * DAY_MS, rollup1hMs: 3 * DAY_MS };
    const now = T + 5 * HOUR_MS + 7 * MINUTE_MS + 500;
    const w = maintenanceWindow(now, r, T + 4 * HOUR_MS + 58 * MINUTE_MS, T - 2 * DAY_MS);
    expect(w).toMatchObject({
      minuteFrom: T + 4 * HOUR_MS + 58 * MINUTE_MS,
      minuteTo: T + 5 * HOUR_MS + 7 * MINUTE_MS,
      hourFrom: T + 4 * HOUR_MS,
      hourTo: T + 5 * HOUR_MS,
      rawCutoff: now - DAY_MS,
      rollup1mCutoff: now - 2 * DAY_MS,
      rollup1hCutoff: now - 3 * DAY_MS,
    });
  });
});
