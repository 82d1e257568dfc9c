import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertColumns, type AlertChange, type DeviceKind } from '@ganzhi/schemas';
import {
  KINDS,
  KIND_METRICS,
  alertChange,
  alertLifecycle,
  baseTime,
  metricCount,
  reading,
} from './contract-fixtures';
import { eventually } from './eventually';
import type { ReadingRow, Store } from './store';

export { eventually } from './eventually';
export type { EventuallyOptions } from './eventually';

export interface StoreContractFactory {
  open(): Promise<Store>;
  /** Close `previous` and open again on the same backing data. */
  reopen(previous: Store): Promise<Store>;
  /** Remove whatever open() created (temp dirs, tables); called once after the suite. */
  cleanup(): Promise<void>;
  /**
   * A prefix unique to this call (letters, digits, '-', '_' or '.'), so runs against a shared
   * server never see each other's devices.
   */
  uniquePrefix(): string;
}

export interface StoreContractOptions {
  /** How long a written row may take to become visible to queries. Default 15 s. */
  visibleWithinMs?: number;
}

const SHORT: Record<DeviceKind, string> = {
  river_gauge: 'rg',
  air_monitor: 'am',
  fire_sensor: 'fs',
  port_device: 'pd',
};

function dev(prefix: string, kind: DeviceKind, n = 1): string {
  return `${prefix}-${SHORT[kind]}-${n}`;
}

function mine(prefix: string) {
  return (r: { deviceId: string }): boolean => r.deviceId.startsWith(`${prefix}-`);
}

function byKey(a: AlertChange, b: AlertChange): number {
  if (a.event.at !== b.event.at) return a.event.at - b.event.at;
  if (a.alertId !== b.alertId) return a.alertId < b.alertId ? -1 : 1;
  return a.seq - b.seq;
}

/**
 * The guarantees every Store adapter keeps. Every case is valid for a store whose writes become
 * visible shortly after they resolve: reads are polled with `eventually`, and absence (of a
 * duplicate) is asserted only after a later marker write is visible, since a store applies one
 * table's commits in order.
 */
export function runStoreContract(name: string, factory: StoreContractFactory, options: StoreContractOptions = {}): void {
  const settle = { timeoutMs: options.visibleWithinMs ?? 15_000, intervalMs: 50 };

  describe(`${name} store contract`, () => {
    let store: Store;
    const t0 = baseTime();

    /** Writes one value after everything before it and waits until queries see it. */
    async function marker(deviceId: string, kind: DeviceKind, ts: number): Promise<void> {
      const metric = Object.keys(KIND_METRICS[kind])[0] ?? '';
      await store.writeReadings([reading(deviceId, kind, ts, { only: [metric], fill: -1 })]);
      await eventually(async () => {
        const [row] = await store.latest({ deviceId, metric });
        expect(row?.ts).toBe(ts);
      }, settle);
    }

    beforeAll(async () => {
      store = await factory.open();
    });

    afterAll(async () => {
      await store?.close();
      await factory.cleanup();
    });

    it('counts written readings as one row per metric', async () => {
      const p = factory.uniquePrefix();
      await store.writeReadings([]);
      const batch = KINDS.flatMap((kind) => [0, 1, 2].map((i) => reading(dev(p, kind), kind, t0 + i * 1000)));
      await store.writeReadings(batch);
      await eventually(async () => {
        for (const kind of KINDS) expect(await store.countReadings(dev(p, kind))).toBe(3 * metricCount(kind));
      }, settle);
      const ours = KINDS.reduce((n, kind) => n + 3 * metricCount(kind), 0);
      expect(await store.countReadings()).toBeGreaterThanOrEqual(ours);
      expect(await store.countReadings(`${p}-absent`)).toBe(0);
    });

    it('does not duplicate rows when the same batch is delivered again', async () => {
      const p = factory.uniquePrefix();
      const d = dev(p, 'air_monitor');
      const batch = [0, 1, 2, 3, 4].map((i) => reading(d, 'air_monitor', t0 + i * 1000, { fill: i }));
      await store.writeReadings(batch);
      await store.writeReadings(batch);
      await marker(d, 'air_monitor', t0 + 60_000);
      expect(await store.countReadings(d)).toBe(5 * metricCount('air_monitor') + 1);
    });

    it('keeps one row per (device, metric, ts), holding the value written last', async () => {
      const p = factory.uniquePrefix();
      const d = dev(p, 'river_gauge');
      const n = metricCount('river_gauge');
      await store.writeReadings([reading(d, 'river_gauge', t0, { fill: 1 })]);
      await eventually(async () => expect(await store.countReadings(d)).toBe(n), settle);

      await store.writeReadings([reading(d, 'river_gauge', t0, { fill: 2, quality: 'S', site: 'site-b' })]);
      await eventually(async () => {
        const rows = await store.latest({ deviceId: d });
        expect(rows.map((r) => [r.ts, r.value, r.quality, r.site])).toEqual(
          Array.from({ length: n }, () => [t0, 2, 'S', 'site-b']),
        );
      }, settle);
      expect(await store.countReadings(d)).toBe(n);

      // Inside one batch, the last occurrence wins.
      await store.writeReadings([
        reading(d, 'river_gauge', t0 + 1000, { fill: 5 }),
        reading(d, 'river_gauge', t0 + 1000, { fill: 6 }),
      ]);
      await eventually(async () => {
        const rows = await store.latest({ deviceId: d });
        expect(rows.map((r) => [r.ts, r.value])).toEqual(Array.from({ length: n }, () => [t0 + 1000, 6]));
      }, settle);
      expect(await store.countReadings(d)).toBe(2 * n);

      // A batch overlapping stored rows replaces those and adds the rest.
      await store.writeReadings([
        reading(d, 'river_gauge', t0 + 1000, { fill: 7 }),
        reading(d, 'river_gauge', t0 + 2000, { fill: 8 }),
      ]);
      await eventually(async () => {
        const buckets = await store.range({ deviceId: d, metric: 'water_level', from: t0, to: t0 + 3000, bucketMs: 1000 });
        expect(buckets.map((b) => [b.ts, b.last, b.count])).toEqual([
          [t0, 2, 1],
          [t0 + 1000, 7, 1],
          [t0 + 2000, 8, 1],
        ]);
      }, settle);
      expect(await store.countReadings(d)).toBe(3 * n);
    });

    it('returns the newest row per (device, metric), filtered by device, kind and metric', async () => {
      const p = factory.uniquePrefix();
      const rg2 = dev(p, 'river_gauge', 2);
      const batch = KINDS.flatMap((kind) => [
        reading(dev(p, kind), kind, t0 + 2000, { fill: 2 }),
        reading(dev(p, kind), kind, t0, { fill: 0 }),
      ]);
      batch.push(reading(rg2, 'river_gauge', t0, { fill: 10, site: 'pier-3' }));
      batch.push(reading(rg2, 'river_gauge', t0 + 3000, { only: ['water_level'], fill: 13, site: 'pier-3', quality: 'T' }));
      await store.writeReadings(batch);
      // Older than what is stored, and written after it: latest goes by ts, not by write order.
      await store.writeReadings(KINDS.map((kind) => reading(dev(p, kind), kind, t0 + 1000, { fill: 1 })));

      const total = KINDS.reduce((s, kind) => s + metricCount(kind), 0) + metricCount('river_gauge');
      const all = await eventually(async () => {
        const rows = (await store.latest()).filter(mine(p));
        expect(rows).toHaveLength(total);
        expect(rows.filter((r) => r.ts === t0 + 1000)).toEqual([]);
        return rows;
      }, settle);
      const sorted = [...all].sort((a, b) => (a.deviceId === b.deviceId ? (a.metric < b.metric ? -1 : 1) : a.deviceId < b.deviceId ? -1 : 1));
      expect(all).toEqual(sorted);

      const air = await store.latest({ deviceId: dev(p, 'air_monitor') });
      expect(air).toEqual(
        Object.entries(KIND_METRICS.air_monitor)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([metric, unit]): ReadingRow => ({
            deviceId: dev(p, 'air_monitor'),
            kind: 'air_monitor',
            site: null,
            metric,
            ts: t0 + 2000,
            value: 2,
            unit,
            quality: 'N',
          })),
      );

      const rivers = (await store.latest({ kind: 'river_gauge' })).filter(mine(p));
      expect(rivers.map((r) => r.deviceId)).toEqual([
        ...Array<string>(metricCount('river_gauge')).fill(dev(p, 'river_gauge')),
        ...Array<string>(metricCount('river_gauge')).fill(rg2),
      ]);

      const levels = (await store.latest({ metric: 'water_level' })).filter(mine(p));
      expect(levels).toEqual([
        { deviceId: dev(p, 'river_gauge'), kind: 'river_gauge', site: null, metric: 'water_level', ts: t0 + 2000, value: 2, unit: 'm', quality: 'N' },
        { deviceId: rg2, kind: 'river_gauge', site: 'pier-3', metric: 'water_level', ts: t0 + 3000, value: 13, unit: 'm', quality: 'T' },
      ]);

      const flow = await store.latest({ deviceId: rg2, metric: 'flow' });
      expect(flow.map((r) => [r.ts, r.value])).toEqual([[t0, 10]]);
      expect(await store.latest({ deviceId: `${p}-absent` })).toEqual([]);
    });

    it('aggregates a range into epoch-aligned buckets, omitting empty ones, with `to` exclusive', async () => {
      const p = factory.uniquePrefix();
      const d = dev(p, 'river_gauge');
      const at = (offsetMs: number, value: number, only = ['water_level']) =>
        reading(d, 'river_gauge', t0 + offsetMs, { only, fill: value });
      await store.writeReadings([
        at(1_000, -50), // before `from`
        at(5_000, 10), // == from: included
        at(50_000, 20), // the newest in its bucket, written before an older one
        at(20_000, 30),
        at(120_000, 7), // on a bucket boundary; 60 000..119 999 has no rows
        at(179_999, 9),
        at(200_000, 4),
        at(240_000, 1000), // == to: excluded
        at(20_000, 999, ['flow']), // another metric
      ]);
      await store.writeReadings([reading(dev(p, 'river_gauge', 2), 'river_gauge', t0 + 20_000, { fill: 999 })]);

      const q = { deviceId: d, metric: 'water_level', from: t0 + 5_000, to: t0 + 240_000, bucketMs: 60_000 };
      await eventually(async () => {
        expect(await store.range(q)).toEqual([
          { ts: t0, avg: expect.closeTo(20, 9), min: 10, max: 30, last: 20, count: 3 },
          { ts: t0 + 120_000, avg: expect.closeTo(8, 9), min: 7, max: 9, last: 9, count: 2 },
          { ts: t0 + 180_000, avg: expect.closeTo(4, 9), min: 4, max: 4, last: 4, count: 1 },
        ]);
      }, settle);

      // 7-minute buckets do not divide the hour: they start at multiples of 7 min since 1970.
      const sevenMin = 420_000;
      const all = await store.range({ ...q, from: t0, to: t0 + 3_600_000, bucketMs: sevenMin });
      const starts = [...new Set([1_000, 5_000, 20_000, 50_000, 120_000, 179_999, 200_000, 240_000].map((o) => t0 + o - ((t0 + o) % sevenMin)))];
      expect(all.map((b) => b.ts)).toEqual(starts);
      expect(all.reduce((s, b) => s + b.count, 0)).toBe(8);
      expect(all.every((b) => typeof b.ts === 'number' && typeof b.count === 'number')).toBe(true);

      expect(await store.range({ ...q, from: t0 + 240_000, to: t0 + 240_000 })).toEqual([]);
      await expect(store.range({ ...q, bucketMs: 0 })).rejects.toMatchObject({ code: 'GANZHI_ERR_STORE_QUERY' });
    });

    it('stores alert events once per (alertId, seq) and returns them in event order with every field', async () => {
      const p = factory.uniquePrefix();
      const fs = alertLifecycle(dev(p, 'fire_sensor'), 'fire_sensor', t0);
      const pd = alertLifecycle(dev(p, 'port_device'), 'port_device', t0 + 1000); // ties with fs at t0+1000..
      const [fs0, fs1, fs2, fs3] = fs as [AlertChange, AlertChange, AlertChange, AlertChange];
      await store.writeAlertEvents([]);
      await store.writeAlertEvents([fs2, pd[0] as AlertChange, fs0]);
      await store.writeAlertEvents([...fs, ...pd]); // re-delivery, overlapping
      await store.writeAlertEvents([fs0, fs0]);
      const resolved = alertChange(dev(p, 'port_device'), 'port_device', t0 + 1000, {
        seq: 5,
        at: t0 + 9000,
        type: 'resolved',
        status: 'resolved',
        level: 'orange',
        actor: 'op-wang',
        reason: 'crane stowed',
        assignee: 'crew-7',
        cleared: true,
      });
      await store.writeAlertEvents([resolved]); // the marker: written last
      const pdAll = [...pd, resolved];
      await eventually(async () => expect(await store.alertHistory({ alertId: resolved.alertId })).toEqual(pdAll), settle);

      expect(await store.alertHistory({ deviceId: dev(p, 'fire_sensor') })).toEqual(fs);
      const ids = new Set([fs0.alertId, resolved.alertId]);
      const window = (await store.alertHistory({ from: t0, to: t0 + 10_000 })).filter((c) => ids.has(c.alertId));
      expect(window).toEqual([...fs, ...pdAll].sort(byKey));
      expect(window.map((c) => `${c.alertId}#${c.seq}`).slice(0, 3)).toEqual([
        `${fs0.alertId}#1`,
        `${fs1.alertId}#2`,
        `${resolved.alertId}#1`,
      ]);

      expect(await store.alertHistory({ deviceId: dev(p, 'fire_sensor'), from: t0 + 1000, to: t0 + 3000 })).toEqual([fs1, fs2]);
      // A limit keeps the newest events, still oldest first.
      expect(await store.alertHistory({ deviceId: dev(p, 'fire_sensor'), limit: 2 })).toEqual([fs2, fs3]);
      expect(await store.alertHistory({ alertId: `${p}-absent:x:0` })).toEqual([]);
    });

    it('returns every stored alert column beside the change, as the audit verifier compares them', async () => {
      const p = factory.uniquePrefix();
      const device = dev(p, 'river_gauge');
      const changes = alertLifecycle(device, 'river_gauge', t0);
      await store.writeAlertEvents(changes);
      const last = changes[changes.length - 1] as AlertChange;
      await eventually(async () => expect((await store.alertHistory({ deviceId: device })).length).toBe(changes.length), settle);
      const stored = await store.alertEvents({ deviceId: device });
      expect(stored.map((e) => e.change)).toEqual(changes);
      for (const e of stored) expect(e.columns).toEqual(alertColumns(e.change));
      expect((await store.alertEvents({ alertId: last.alertId, limit: 1 })).map((e) => e.change)).toEqual([last]);
    });

    it('keeps every row and alert event across close and reopen', async () => {
      const p = factory.uniquePrefix();
      await store.writeReadings(KINDS.flatMap((kind) => [0, 1].map((i) => reading(dev(p, kind), kind, t0 + i * 1000, { fill: i }))));
      const events = alertLifecycle(dev(p, 'fire_sensor'), 'fire_sensor', t0);
      await store.writeAlertEvents(events);
      const before = await eventually(async () => {
        const rows = (await store.latest()).filter(mine(p));
        expect(rows).toHaveLength(KINDS.reduce((s, kind) => s + metricCount(kind), 0));
        expect(await store.alertHistory({ deviceId: dev(p, 'fire_sensor') })).toHaveLength(events.length);
        return rows;
      }, settle);

      store = await factory.reopen(store);
      await eventually(async () => {
        expect((await store.latest()).filter(mine(p))).toEqual(before);
        for (const kind of KINDS) expect(await store.countReadings(dev(p, kind))).toBe(2 * metricCount(kind));
        expect(await store.alertHistory({ deviceId: dev(p, 'fire_sensor') })).toEqual(events);
      }, settle);
    });

    it('lands every row of concurrent writes', async () => {
      const p = factory.uniquePrefix();
      const writers = 8;
      const perWriter = 25;
      const writes = Array.from({ length: writers }, (_, w) =>
        store.writeReadings(
          KINDS.flatMap((kind) =>
            Array.from({ length: perWriter }, (_, i) => reading(dev(p, kind), kind, t0 + (w * perWriter + i) * 1000, { fill: w })),
          ),
        ),
      );
      const alerts = KINDS.map((kind) => store.writeAlertEvents(alertLifecycle(dev(p, kind), kind, t0)));
      const reads = [store.latest({ deviceId: dev(p, 'air_monitor') }), store.countReadings(dev(p, 'port_device'))];
      await Promise.all([...writes, ...alerts, ...reads]);
      await eventually(async () => {
        for (const kind of KINDS) {
          expect(await store.countReadings(dev(p, kind))).toBe(writers * perWriter * metricCount(kind));
          expect(await store.alertHistory({ deviceId: dev(p, kind) })).toHaveLength(4);
        }
      }, settle);
    });

    it('rejects writes and queries once closed, and closing again is harmless', async () => {
      const p = factory.uniquePrefix();
      await store.close();
      await store.close();
      const closed = { code: 'GANZHI_ERR_STORE_UNAVAILABLE' };
      await expect(store.writeReadings([reading(dev(p, 'river_gauge'), 'river_gauge', t0)])).rejects.toMatchObject(closed);
      await expect(store.writeAlertEvents(alertLifecycle(dev(p, 'fire_sensor'), 'fire_sensor', t0))).rejects.toMatchObject(closed);
      await expect(store.latest()).rejects.toMatchObject(closed);
      await expect(store.countReadings()).rejects.toMatchObject(closed);
    });
  });
}
