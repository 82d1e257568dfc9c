/**
 * QuestDB store. With QUESTDB_URL set: write throughput (readings/s and rows/s) of the adapter's
 * writer for 1 and 8 concurrent producers (each awaits its write, as the writer service acks a
 * bus batch) at batches of 100 and 1000 readings, with and without waiting for WAL visibility;
 * then the paired run, our writer beside the raw `@questdb/nodejs-client` on a table of the same
 * shape (bench/store/questdb-pair.ts, also in `npm run bench`); then query latencies. Tables get
 * a bench_* prefix and are dropped at the end. autoFlushRows is one batch's rows at most, so a
 * single producer's write flushes at once rather than waiting for the flush timer.
 * Without QUESTDB_URL: the client-side part only — our row building and serialising into the
 * client's own buffer beside the raw client's calls into the same buffer — and it says that it
 * had no server.
 *
 *   QUESTDB_URL=http://127.0.0.1:9000 npx tsx bench/store-questdb.ts [seconds per run, default 3]
 */
import { SenderOptions, createBuffer } from '@questdb/nodejs-client';
import { createQuestDbStore, questDbOptionsFromEnv, resolveEndpoint, type QuestDbStore } from '@ganzhi/store';
import type { DeviceKind, Reading } from '@ganzhi/schemas';
import { readingRows, writeRow, type IlpSink } from '../packages/store/src/questdb/rows';
import { tableNames } from '../packages/store/src/questdb/sql';
import { pairQuestDb } from './store/questdb-pair';

const seconds = Number(process.argv[2] ?? 3);

const KINDS: Record<DeviceKind, readonly string[]> = {
  river_gauge: ['water_level', 'rain_1h', 'flow', 'battery'],
  air_monitor: ['pm25', 'pm10', 'no2', 'o3', 'so2', 'co'],
  fire_sensor: ['smoke', 'temperature', 'residual_current', 'pressure', 'cable_temp'],
  port_device: ['wind_speed', 'wind_dir', 'load', 'reefer_temp'],
};
const KIND_LIST = Object.keys(KINDS) as DeviceKind[];
const DEVICES = 500;
const T0 = Date.UTC(2026, 0, 1);

/** Reading number i (of producer p): device i % DEVICES, one second apart per device. */
function reading(i: number, p = 0): Reading {
  const d = i % DEVICES;
  const kind = KIND_LIST[d % KIND_LIST.length] ?? 'river_gauge';
  const ts = T0 + Math.floor(i / DEVICES) * 1000 + p;
  const metrics: Reading['metrics'] = {};
  for (const m of KINDS[kind]) metrics[m] = { value: (i % 97) + d / 10, unit: 'u', quality: 'N' };
  return { deviceId: `dev-${String(d).padStart(4, '0')}`, kind, site: `site-${d % 7}`, ts, metrics, sourceId: `s${i}`, receivedAt: ts };
}

const rowsOf = (batch: readonly Reading[]): number => batch.reduce((n, r) => n + Object.keys(r.metrics).length, 0);
const pct = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Client-side cost without a server: ours (rows built, then written) and raw, into the client's buffer. */
async function pureRun(batchSize: number): Promise<void> {
  const t = tableNames('bench_');
  const buffer = createBuffer(new SenderOptions('http::addr=127.0.0.1:9000;protocol_version=2'));
  const sink: IlpSink = {
    table: (n) => (buffer.table(n), sink),
    symbol: (n, v) => (buffer.symbol(n, v), sink),
    floatColumn: (n, v) => (buffer.floatColumn(n, v), sink),
    intColumn: (n, v) => (buffer.intColumn(n, v), sink),
    stringColumn: (n, v) => (buffer.stringColumn(n, v), sink),
    timestampColumn: (n, v, u) => (buffer.timestampColumn(n, v, u ?? 'us'), sink),
    at: async (ts, u) => buffer.at(ts, u ?? 'us'),
  };
  const ours = async (batch: readonly Reading[]): Promise<number> => {
    const built = readingRows(t, batch);
    for (const r of built) await writeRow(sink, r);
    return built.length;
  };
  const raw = async (batch: readonly Reading[]): Promise<number> => {
    let n = 0;
    for (const r of batch) {
      for (const metric in r.metrics) {
        const m = r.metrics[metric]!;
        sink.table(t.readings).symbol('device_id', r.deviceId).symbol('kind', r.kind);
        if (r.site !== undefined) sink.symbol('site', r.site);
        sink.symbol('metric', metric).symbol('unit', m.unit).symbol('quality', m.quality).floatColumn('value', m.value);
        await sink.at(r.ts, 'ms');
        n++;
      }
    }
    return n;
  };
  const rate = async (fn: (batch: readonly Reading[]) => Promise<number>): Promise<number> => {
    const batches = Array.from({ length: 20 }, (_, b) => Array.from({ length: batchSize }, (_, i) => reading(b * batchSize + i)));
    let rows = 0;
    let busyMs = 0;
    for (let round = 0; busyMs < (seconds * 1000) / 4; round++) {
      const batch = batches[round % batches.length]!;
      buffer.reset();
      const s = performance.now();
      rows += await fn(batch);
      busyMs += performance.now() - s;
    }
    return rows / (busyMs / 1000);
  };
  const o = ((await rate(ours)) + (await rate(ours))) / 2;
  const r = ((await rate(raw)) + (await rate(raw))) / 2;
  console.log(`  batch ${String(batchSize).padStart(4)}: ours ${fmt(o)} rows/s, raw client ${fmt(r)} rows/s: ${(o / r).toFixed(2)}x (build + serialise into the client's buffer, ILP v2, one thread)`);
}

async function writeRun(store: QuestDbStore, producers: number, batchSize: number, base: number): Promise<number> {
  const latencies: number[] = [];
  let readings = 0;
  let rows = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: producers }, async (_, p) => {
      let i = base;
      while (performance.now() < deadline) {
        const batch = Array.from({ length: batchSize }, () => reading(i++, p));
        const t = performance.now();
        await store.writeReadings(batch);
        latencies.push(performance.now() - t);
        readings += batch.length;
        rows += rowsOf(batch);
      }
    }),
  );
  const s = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(
    `  ${producers} producer${producers > 1 ? 's' : ' '} × batch ${String(batchSize).padStart(4)}: ${fmt(readings / s)} readings/s, ${fmt(rows / s)} rows/s; write p50 ${fmt(pct(latencies, 50), 1)} ms, p99 ${fmt(pct(latencies, 99), 1)} ms`,
  );
  return base + 10_000_000;
}

async function timeQuery(label: string, fn: () => Promise<unknown>, n = 20): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  console.log(`  ${label}: p50 ${fmt(pct(ms, 50), 1)} ms, p99 ${fmt(pct(ms, 99), 1)} ms`);
}

async function main(): Promise<void> {
  const env = process.env;
  if (!env['QUESTDB_URL']) {
    console.log('store-questdb: no server (QUESTDB_URL is not set) — measuring the client-side part only, ours beside the raw client');
    for (const size of [100, 1000]) await pureRun(size);
    return;
  }
  const prefix = `bench_${Date.now().toString(36)}_`;
  console.log(`store-questdb: ${env['QUESTDB_URL']}, tables ${prefix}*, ${seconds} s per run`);
  let base = 0;
  // At most one batch's rows (4-6 per reading): each write flushes when it arrives, while
  // concurrent producers' writes still share a flush. Above that, a single producer would wait
  // for the 50 ms flush timer on every write and measure the timer.
  const flushRowsFor = (batch: number) => batch * 4;
  for (const awaitVisible of [true, false]) {
    console.log(`writes (awaitVisible=${awaitVisible}):`);
    for (const [producers, batch] of [
      [1, 100],
      [1, 1000],
      [8, 100],
      [8, 1000],
    ] as const) {
      const store = await createQuestDbStore({
        ...questDbOptionsFromEnv(env),
        tablePrefix: prefix,
        awaitVisible,
        autoFlushRows: flushRowsFor(batch),
        flushIntervalMs: 50,
      });
      try {
        base = await writeRun(store, producers, batch, base);
      } finally {
        await store.close();
      }
    }
  }
  console.log('paired with the raw client (awaitVisible=false on both sides):');
  for (const p of await pairQuestDb(env, seconds, [100, 1000, 2000], (line) => console.log(line))) {
    console.log(`  ${p.shape}: ours ${fmt(p.ours.rowsPerSec)} rows/s, raw ${fmt(p.raw.rowsPerSec)} rows/s: ${(p.ours.rowsPerSec / p.raw.rowsPerSec).toFixed(2)}x; CPU ${fmt(p.ours.cpuUsPerRow, 1)} vs ${fmt(p.raw.cpuUsPerRow, 1)} µs/row`);
  }
  const store = await createQuestDbStore({ ...questDbOptionsFromEnv(env), tablePrefix: prefix });
  try {
    console.log(`queries over ${fmt(await store.countReadings())} rows:`);
    await timeQuery('latest (one device)', () => store.latest({ deviceId: 'dev-0001' }));
    await timeQuery('latest (all devices)', () => store.latest(), 5);
    await timeQuery('range (1 h, 1 min buckets)', () =>
      store.range({ deviceId: 'dev-0001', metric: 'pm25', from: T0, to: T0 + 3_600_000, bucketMs: 60_000 }),
    );
    await timeQuery('countReadings (one device)', () => store.countReadings('dev-0001'));
  } finally {
    await store.close();
    const { createExecClient } = await import('../packages/store/src/questdb/http');
    const { dropTableSql } = await import('../packages/store/src/questdb/sql');
    const o = questDbOptionsFromEnv(env);
    const exec = createExecClient({ ...o, url: resolveEndpoint(o.url).url, timeoutMs: 30_000 });
    const t = tableNames(prefix);
    for (const name of [t.readings, t.alertEvents]) await exec.query(dropTableSql(name)).catch(() => undefined);
    exec.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
