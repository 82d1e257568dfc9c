import { afterAll, describe, expect, it } from 'vitest';
import { alertLifecycle, baseTime, reading } from './contract-fixtures';
import { eventually } from './eventually';
import { DAY_MS, HOUR_MS, MINUTE_MS, alignDown } from './lifecycle/plan';
import type { BucketRow, RetentionPolicy, RollupRow, Store } from './store';

export interface LifecycleContractFactory {
  /** A store on backing data of its own (a new file, new tables) with this retention. */
  openFresh(retention: RetentionPolicy): Promise<Store>;
  /** A prefix unique to this call, as in the store contract. */
  uniquePrefix(): string;
}

const LONG: RetentionPolicy = { rawMs: 3650 * DAY_MS, rollup1mMs: 3650 * DAY_MS, rollup1hMs: 3650 * DAY_MS };

interface Raw {
  ts: number;
  value: number;
}

/** The aggregates of raw rows per epoch-aligned bucket, computed here, in JS. */
export function expectedBuckets(rows: readonly Raw[], bucketMs: number): BucketRow[] {
  const by = new Map<number, Raw[]>();
  for (const r of rows) {
    const b = r.ts - (r.ts % bucketMs);
    by.set(b, [...(by.get(b) ?? []), r]);
  }
  return [...by.entries()]
    .sort(([a], [b]) => a - b)
    .map(([ts, rs]) => {
      const values = rs.map((r) => r.value);
      const newest = rs.reduce((a, b) => (b.ts > a.ts ? b : a));
      return {
        ts,
        avg: values.reduce((s, v) => s + v, 0) / values.length,
        min: Math.min(...values),
        max: Math.max(...values),
        last: newest.value,
        count: rs.length,
      };
    });
}

function approx(buckets: readonly BucketRow[]) {
  return buckets.map((b) => ({ ...b, avg: expect.closeTo(b.avg, 6) }));
}

function asRollups(deviceId: string, metric: string, buckets: readonly BucketRow[]): RollupRow[] {
  return buckets.map((b) => ({ deviceId, metric, ts: b.ts, count: b.count, min: b.min, max: b.max, mean: expect.closeTo(b.avg, 6), last: b.last }));
}

/**
 * Rollups and retention, the same for every Store adapter. Stores that roll up on their own
 * (QuestDB materialized views, TTL) are read with `eventually`.
 */
export function runStoreLifecycleContract(name: string, factory: LifecycleContractFactory, options: { visibleWithinMs?: number } = {}): void {
  const settle = { timeoutMs: options.visibleWithinMs ?? 15_000, intervalMs: 100 };

  describe(`${name} store lifecycle contract`, () => {
    const opened: Store[] = [];
    async function open(retention: RetentionPolicy): Promise<Store> {
      const store = await factory.openFresh(retention);
      opened.push(store);
      return store;
    }
    afterAll(async () => {
      await Promise.all(opened.map((s) => s.close()));
    });

    it('rolls readings up into 1-minute and 1-hour buckets equal to the aggregates of the raw rows', async () => {
      const store = await open(LONG);
      const d = `${factory.uniquePrefix()}-rg-1`;
      const t0 = baseTime();
      // Three hours, a row every 20 s and a second off the grid, values going up and down.
      const rows: Raw[] = Array.from({ length: 540 }, (_, i) => ({ ts: t0 + i * 20_000 + (i % 3) * 1000, value: ((i * 37) % 101) - 50 + i / 8 }));
      await store.writeReadings(rows.map((r) => reading(d, 'river_gauge', r.ts, { only: ['water_level'], fill: r.value })));
      const q = { deviceId: d, metric: 'water_level', from: t0, to: t0 + 3 * HOUR_MS };
      const minutes = expectedBuckets(rows, MINUTE_MS);
      const hours = expectedBuckets(rows, HOUR_MS);
      await eventually(async () => expect(await store.range({ ...q, bucketMs: MINUTE_MS })).toEqual(approx(minutes)), settle);

      const report = await store.maintain(Date.now());
      expect(report.rolledThrough['1h']).toBeGreaterThanOrEqual(t0 + 3 * HOUR_MS);
      await eventually(async () => {
        expect(await store.rollups({ ...q, resolution: '1m' })).toEqual(asRollups(d, 'water_level', minutes));
        expect(await store.rollups({ ...q, resolution: '1h' })).toEqual(asRollups(d, 'water_level', hours));
      }, settle);
      // Whatever table answers, the buckets are those of the raw rows.
      expect(await store.range({ ...q, bucketMs: HOUR_MS })).toEqual(approx(hours));
      expect(await store.range({ ...q, bucketMs: MINUTE_MS })).toEqual(approx(minutes));
      expect(await store.range({ ...q, bucketMs: 10 * MINUTE_MS })).toEqual(approx(expectedBuckets(rows, 10 * MINUTE_MS)));
      const from = t0 + 30_500;
      const to = t0 + 2 * HOUR_MS + 30_500;
      const inside = rows.filter((r) => r.ts >= from && r.ts < to);
      expect(await store.range({ ...q, from, to, bucketMs: HOUR_MS })).toEqual(approx(expectedBuckets(inside, HOUR_MS)));

      // A late row, behind the rollups: range sees it at once, the rollups after the next run.
      const late = { ts: t0 + 5 * MINUTE_MS + 500, value: 1000 };
      await store.writeReadings([reading(d, 'river_gauge', late.ts, { only: ['water_level'], fill: late.value })]);
      const withLate = [...rows, late];
      await eventually(async () => {
        expect(await store.range({ ...q, bucketMs: HOUR_MS })).toEqual(approx(expectedBuckets(withLate, HOUR_MS)));
        expect(await store.range({ ...q, bucketMs: MINUTE_MS })).toEqual(approx(expectedBuckets(withLate, MINUTE_MS)));
      }, settle);
      await store.maintain(Date.now());
      await eventually(async () => {
        expect(await store.rollups({ ...q, resolution: '1h' })).toEqual(asRollups(d, 'water_level', expectedBuckets(withLate, HOUR_MS)));
        expect(await store.range({ ...q, bucketMs: HOUR_MS })).toEqual(approx(expectedBuckets(withLate, HOUR_MS)));
      }, settle);
    });

    it('deletes raw readings and rollups only past their windows, and never alert events', async () => {
      const retention: RetentionPolicy = { rawMs: 3 * DAY_MS, rollup1mMs: 10 * DAY_MS, rollup1hMs: 30 * DAY_MS };
      const store = await open(retention);
      const p = factory.uniquePrefix();
      const d = `${p}-am-1`;
      const now = Date.now();
      // Noon n days back: whole day partitions (QuestDB) fall on either side of each window.
      const noon = (n: number) => alignDown(now, DAY_MS) - n * DAY_MS + 12 * HOUR_MS;
      const days = [40, 20, 5, 1];
      const alerts = alertLifecycle(`${p}-fs-1`, 'fire_sensor', noon(40));
      await store.writeAlertEvents(alerts);
      // As live data arrives: each day's reading, then a maintenance run an hour later (device
      // time), once the rollups hold it (a server-side rollup refreshes on its own).
      for (const n of days) {
        await store.writeReadings([reading(d, 'air_monitor', noon(n), { only: ['pm25'], fill: n })]);
        await store.maintain(noon(n) + HOUR_MS);
        await eventually(async () => {
          const hours = await store.rollups({ resolution: '1h', deviceId: d, metric: 'pm25', from: noon(n), to: noon(n) + HOUR_MS });
          expect(hours.map((r) => r.ts)).toEqual([noon(n)]);
        }, settle);
      }

      await store.maintain(now);
      const q = { deviceId: d, metric: 'pm25', from: noon(60), to: now };
      await eventually(async () => {
        expect(await store.countReadings(d)).toBe(1);
        expect((await store.latest({ deviceId: d })).map((r) => r.ts)).toEqual([noon(1)]);
        expect((await store.rollups({ ...q, resolution: '1m' })).map((r) => r.count === 1 && r.ts)).toEqual([noon(5), noon(1)]);
        expect((await store.rollups({ ...q, resolution: '1h' })).map((r) => r.count === 1 && r.ts)).toEqual([noon(20), noon(5), noon(1)]);
      }, settle);
      expect(await store.alertHistory({ deviceId: `${p}-fs-1` })).toEqual(alerts);
      // Past the raw window the hourly rollup still answers.
      expect((await store.range({ ...q, bucketMs: DAY_MS })).map((b) => [b.ts, b.last])).toEqual([
        [noon(20) - 12 * HOUR_MS, 20],
        [noon(5) - 12 * HOUR_MS, 5],
        [noon(1) - 12 * HOUR_MS, 1],
      ]);
      // Idempotent: a second run at the same instant changes nothing.
      await store.maintain(now);
      expect(await store.countReadings(d)).toBe(1);
      expect(await store.alertHistory({ deviceId: `${p}-fs-1` })).toEqual(alerts);
    });

    it('answers a year of hourly buckets in one call', async () => {
      const store = await open({ rawMs: 90 * DAY_MS, rollup1mMs: 1825 * DAY_MS, rollup1hMs: 1825 * DAY_MS });
      const d = `${factory.uniquePrefix()}-pd-1`;
      const now = Date.now();
      const hoursInYear = 365 * 24;
      const start = alignDown(now, HOUR_MS) - hoursInYear * HOUR_MS;
      const batch = [];
      for (let h = 0; h < hoursInYear; h++) {
        batch.push(reading(d, 'port_device', start + h * HOUR_MS + 10 * MINUTE_MS, { only: ['wind_speed'], fill: h % 50 }));
        batch.push(reading(d, 'port_device', start + h * HOUR_MS + 40 * MINUTE_MS, { only: ['wind_speed'], fill: (h % 50) + 0.5 }));
      }
      // In time order, as live data would come, each part rolled up before the next is written.
      for (let i = 0; i < batch.length; i += 2000) {
        const part = batch.slice(i, i + 2000);
        const lastTs = (part[part.length - 1] as { ts: number }).ts;
        await store.writeReadings(part);
        await store.maintain(lastTs + HOUR_MS);
        await eventually(async () => {
          const hour = alignDown(lastTs, HOUR_MS);
          expect((await store.rollups({ resolution: '1h', deviceId: d, metric: 'wind_speed', from: hour, to: hour + HOUR_MS })).map((r) => r.count)).toEqual([2]);
        }, settle);
      }
      await store.maintain(now);
      const year = await eventually(async () => {
        const buckets = await store.range({ deviceId: d, metric: 'wind_speed', from: start, to: alignDown(now, HOUR_MS), bucketMs: HOUR_MS });
        expect(buckets).toHaveLength(hoursInYear);
        return buckets;
      }, settle);
      expect(year.every((b, h) => b.ts === start + h * HOUR_MS && b.count === 2 && b.min === h % 50 && b.max === (h % 50) + 0.5 && b.last === (h % 50) + 0.5)).toBe(true);
      expect(year.every((b, h) => Math.abs(b.avg - ((h % 50) + 0.25)) < 1e-9)).toBe(true);
      // The raw rows of the first nine months are gone; the answer came from the rollup.
      await eventually(async () => expect(await store.countReadings(d)).toBeLessThanOrEqual(2 * 92 * 24), settle);
    });
  });
}
