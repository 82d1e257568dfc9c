/**
 * DuckDB store: write throughput for batches of 1, 100 and 1000 readings (4-6 metrics each,
 * i.e. one row per metric) into a fresh file, then query latency over ~1M rows. Each write run
 * also reports the main thread's busy time per batch (event-loop utilisation minus the time spent
 * building batches), the event loop's p99/max delay, and the peak RSS of the process.
 *
 *   npx tsx bench/store-duckdb.ts [seconds per write run, default 3] [rows to fill, default 1000000]
 *                                 [DuckDB memory_limit, default the store's]
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createDuckDbStore, type Store } from '@ganzhi/store';
import type { DeviceKind, Reading } from '@ganzhi/schemas';

const seconds = Number(process.argv[2] ?? 3);
const fillRows = Number(process.argv[3] ?? 1_000_000);
const memoryLimit = process.argv[4];
const storeOptions = memoryLimit === undefined ? {} : { memoryLimit };

/** Main-thread busy time, event-loop delay and peak RSS over one measured stretch. */
function mainThreadProbe(): { stop(batches: number, generateMs: number): string } {
  const elu = performance.eventLoopUtilization();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 100);
  return {
    stop(batches: number, generateMs: number): string {
      clearInterval(sampler);
      delay.disable();
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      const busy = performance.eventLoopUtilization(elu).active - generateMs;
      return (
        `  main thread ${fmt(busy / Math.max(1, batches), 3)} ms/batch` +
        `  loop delay p99 ${fmt(delay.percentile(99) / 1e6, 1)} ms max ${fmt(delay.max / 1e6, 1)} ms` +
        `  peak RSS ${fmt(peakRss / 1e6)} MB`
      );
    },
  };
}

const KINDS: Record<DeviceKind, readonly string[]> = {
  river_gauge: ['water_level', 'rain_1h', 'flow', 'battery'],
  air_monitor: ['pm25', 'pm10', 'no2', 'o3', 'so2', 'co'],
  fire_sensor: ['smoke', 'temperature', 'residual_current', 'pressure', 'cable_temp'],
  port_device: ['wind_speed', 'wind_dir', 'load', 'reefer_temp'],
};
const KIND_LIST = Object.keys(KINDS) as DeviceKind[];
const DEVICES = 500;
const T0 = 1_700_000_000_000;

/** Reading number i: device i % DEVICES, one second apart per device. */
function reading(i: number): Reading {
  const d = i % DEVICES;
  const kind = KIND_LIST[d % KIND_LIST.length] ?? 'river_gauge';
  const ts = T0 + Math.floor(i / DEVICES) * 1000;
  const metrics: Reading['metrics'] = {};
  for (const m of KINDS[kind]) metrics[m] = { value: (i % 97) + d / 10, unit: 'u', quality: 'N' };
  return { deviceId: `dev-${String(d).padStart(4, '0')}`, kind, site: `site-${d % 7}`, ts, metrics, sourceId: `s${i}`, receivedAt: ts };
}

function rowsOf(batch: readonly Reading[]): number {
  return batch.reduce((n, r) => n + Object.keys(r.metrics).length, 0);
}

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function writeRun(batchSize: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ganzhi-bench-duckdb-'));
  try {
    const store = await createDuckDbStore({ path: join(dir, 'bench.duckdb'), ...storeOptions });
    let next = 0;
    let rows = 0;
    let generateMs = 0;
    const latencies: number[] = [];
    const probe = mainThreadProbe();
    const started = performance.now();
    const deadline = started + seconds * 1000;
    while (performance.now() < deadline) {
      const g = performance.now();
      const batch = Array.from({ length: batchSize }, () => reading(next++));
      const n = rowsOf(batch);
      const t = performance.now();
      generateMs += t - g;
      await store.writeReadings(batch);
      latencies.push(performance.now() - t);
      rows += n;
    }
    const elapsed = (performance.now() - started) / 1000;
    const main = probe.stop(latencies.length, generateMs);
    await store.close();
    latencies.sort((a, b) => a - b);
    console.log(
      `write batch=${String(batchSize).padStart(4)}  ${fmt(next / elapsed).padStart(9)} readings/s  ${fmt(rows / elapsed).padStart(9)} rows/s` +
        `  batch p50 ${fmt(pct(latencies, 50), 2)} ms  p99 ${fmt(pct(latencies, 99), 2)} ms` +
        main,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function time(label: string, runs: number, fn: () => Promise<unknown>): Promise<void> {
  await fn(); // warm-up
  const ms: number[] = [];
  let size = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = await fn();
    ms.push(performance.now() - t);
    size = Array.isArray(r) ? r.length : 1;
  }
  ms.sort((a, b) => a - b);
  console.log(`${label.padEnd(46)} p50 ${fmt(pct(ms, 50), 2).padStart(7)} ms  p95 ${fmt(pct(ms, 95), 2).padStart(7)} ms  (${size} rows out)`);
}

async function queryRun(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ganzhi-bench-duckdb-'));
  const path = join(dir, 'bench.duckdb');
  let store: Store | undefined;
  try {
    store = await createDuckDbStore({ path, ...storeOptions });
    let next = 0;
    let rows = 0;
    let batches = 0;
    let generateMs = 0;
    const probe = mainThreadProbe();
    const started = performance.now();
    while (rows < fillRows) {
      const g = performance.now();
      const batch = Array.from({ length: 1000 }, () => reading(next++));
      const n = rowsOf(batch);
      generateMs += performance.now() - g;
      await store.writeReadings(batch);
      rows += n;
      batches++;
    }
    const fillSeconds = (performance.now() - started) / 1000;
    const main = probe.stop(batches, generateMs);
    const count = await store.countReadings();
    console.log(`fill: ${fmt(count)} rows (${fmt(next)} readings) in ${fmt(fillSeconds, 1)} s = ${fmt(count / fillSeconds)} rows/s`);
    console.log(`fill:${main}`);

    const t = performance.now();
    await store.writeReadings(Array.from({ length: 1000 }, () => reading(next++)));
    console.log(`one more 1000-reading batch at ${fmt(count)} rows: ${fmt(performance.now() - t, 1)} ms`);

    const s = store;
    const span = Math.floor(next / DEVICES) * 1000;
    const runs = 20;
    await time('countReadings()', runs, () => s.countReadings());
    await time('countReadings(device)', runs, () => s.countReadings('dev-0040'));
    await time('latest() all devices', runs, () => s.latest());
    await time('latest({ kind })', runs, () => s.latest({ kind: 'air_monitor' }));
    await time('latest({ deviceId })', runs, () => s.latest({ deviceId: 'dev-0040' }));
    await time('latest({ deviceId, metric })', runs, () => s.latest({ deviceId: 'dev-0040', metric: 'water_level' }));
    await time('range 1 metric, whole span, 1-min buckets', runs, () =>
      s.range({ deviceId: 'dev-0040', metric: 'water_level', from: T0, to: T0 + span, bucketMs: 60_000 }),
    );
    await time('range 1 metric, 5 min, 10-s buckets', runs, () =>
      s.range({ deviceId: 'dev-0040', metric: 'water_level', from: T0 + 60_000, to: T0 + 360_000, bucketMs: 10_000 }),
    );
    const c = performance.now();
    await store.close();
    store = undefined;
    console.log(`close (checkpoint): ${fmt(performance.now() - c)} ms; file ${fmt((await stat(path)).size / 1e6, 1)} MB`);
    const o = performance.now();
    store = await createDuckDbStore({ path, ...storeOptions });
    console.log(`reopen: ${fmt(performance.now() - o)} ms, ${fmt(await store.countReadings())} rows`);
  } finally {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(
  `DuckDB store bench: ${seconds} s per write run, ${fmt(fillRows)}-row fill, ${DEVICES} devices, 4-6 metrics per reading` +
    (memoryLimit === undefined ? '' : `, memory_limit ${memoryLimit}`),
);
for (const size of [1, 100, 1000]) await writeRun(size);
await queryRun();
