/**
 * DuckDB store cost at city rates: readings arrive at a steady rate and one consumer hands the
 * store whatever has queued since its last write returned (as the writer stage's bus consumer
 * does: one handler call at a time, at most `maxBatch` records), for a window of seconds. Prints
 * the CPU of the whole process (all threads: DuckDB's too) per second and per row, the
 * main-thread event-loop delay (p99, max: what a synchronous flush costs everything else on that
 * thread), and the write latency, for each setting given.
 *
 *   npx tsx bench/store-duckdb-cost.ts [seconds, default 10] [rates, default 100,1000]
 *     [lingers in ms, default 0,20,200]
 *
 * Linger 0 commits every call on its own (as the store did before write groups, though through
 * the Appender rather than a JSON statement); 1000 ms is the default on the embedded bus (GANZHI_DUCKDB_LINGER_MS).
 * The generator's own cost is measured alone first and subtracted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDuckDbStore, type Store } from '@ganzhi/store';
import type { DeviceKind, Reading } from '@ganzhi/schemas';

const seconds = Number(process.argv[2] ?? 10);
const rates = (process.argv[3] ?? '100,1000').split(',').map(Number);
const settings = (process.argv[4] ?? '0,20,200').split(',').map((s) => {
  const lingerMs = Number(s);
  if (!Number.isInteger(lingerMs) || lingerMs < 0) throw new Error(`bad linger ${s}: an integer of ms`);
  return { lingerMs };
});

const KINDS: Record<DeviceKind, readonly string[]> = {
  river_gauge: ['water_level', 'rain_1h', 'flow', 'battery'],
  air_monitor: ['pm25', 'pm10', 'no2', 'o3', 'so2', 'co'],
  fire_sensor: ['smoke', 'temperature', 'residual_current', 'pressure', 'cable_temp'],
  port_device: ['wind_speed', 'wind_dir', 'load', 'reefer_temp'],
};
const KIND_LIST = Object.keys(KINDS) as DeviceKind[];
const DEVICES = 1000;
const T0 = 1_700_000_000_000;

function reading(i: number): Reading {
  const d = i % DEVICES;
  const kind = KIND_LIST[d % KIND_LIST.length] ?? 'river_gauge';
  const ts = T0 + Math.floor(i / DEVICES) * 1000;
  const metrics: Reading['metrics'] = {};
  for (const m of KINDS[kind]) metrics[m] = { value: (i % 97) + d / 10, unit: 'u', quality: 'N' };
  return { deviceId: `dev-${String(d).padStart(4, '0')}`, kind, site: `site-${d % 7}`, ts, metrics, sourceId: `s${i}`, receivedAt: ts };
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;
const pct = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

interface Run {
  cores: number;
  rows: number;
  writes: number;
  loopP99: number;
  loopMax: number;
  writeP50: number;
  writeP99: number;
}

/** Offers `rate` readings/s for `seconds`; `store` undefined measures the generator alone. */
async function run(rate: number, store: Store | undefined): Promise<Run> {
  const queue: Reading[] = [];
  let next = 0;
  let generating = true;
  const tickMs = 10;
  const started = performance.now();
  const generator = (async () => {
    for (let tick = 1; generating; tick++) {
      const due = Math.floor(((performance.now() - started) / 1000) * rate);
      while (next < due) queue.push(reading(next++));
      await sleep(Math.max(0, started + tick * tickMs - performance.now()));
    }
  })();
  let rows = 0;
  let writes = 0;
  const latencies: number[] = [];
  const consumer = (async () => {
    while (generating || queue.length > 0) {
      if (queue.length === 0) {
        await sleep(1);
        continue;
      }
      const batch = queue.splice(0, 2000);
      for (const r of batch) rows += Object.keys(r.metrics).length;
      const t = performance.now();
      if (store) await store.writeReadings(batch);
      latencies.push(performance.now() - t);
      writes++;
    }
  })();
  // Warm up one second, then measure.
  await sleep(1000);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const rows0 = rows;
  const writes0 = writes;
  const lat0 = latencies.length;
  delay.enable();
  await sleep(seconds * 1000);
  delay.disable();
  const cpu = cpuMs(process.cpuUsage(cpu0));
  const wall = performance.now() - t0;
  const result = { rows: rows - rows0, writes: writes - writes0 };
  generating = false;
  await Promise.all([generator, consumer]);
  const lat = latencies.slice(lat0).sort((a, b) => a - b);
  return {
    cores: cpu / wall,
    ...result,
    loopP99: delay.percentile(99) / 1e6,
    loopMax: delay.max / 1e6,
    writeP50: pct(lat, 50),
    writeP99: pct(lat, 99),
  };
}

console.log(`DuckDB store cost: ${seconds} s per run after 1 s of warm-up, ${DEVICES} devices, 4-6 metrics per reading; CPU of the whole process`);
for (const rate of rates) {
  const idle = await run(rate, undefined);
  console.log(`${fmt(rate)} readings/s: generator and consumer loop alone ${fmt(idle.cores, 3)} cores (subtracted below)`);
  for (const s of settings) {
    const dir = await mkdtemp(join(tmpdir(), 'ganzhi-bench-duckdb-cost-'));
    const store = await createDuckDbStore({ path: join(dir, 'cost.duckdb'), ...s });
    try {
      const r = await run(rate, store);
      const cores = Math.max(0, r.cores - idle.cores);
      console.log(
        `  ${`linger ${s.lingerMs} ms`.padEnd(16)} ${fmt(cores, 3)} cores  ${fmt((cores * 1e6) / Math.max(1, r.rows / seconds), 1).padStart(6)} µs/row` +
          `  ${fmt(r.writes / seconds).padStart(4)} writes/s of ${fmt(r.rows / Math.max(1, r.writes), 0)} rows` +
          `  write p50 ${fmt(r.writeP50, 1)} p99 ${fmt(r.writeP99, 1)} ms  loop delay p99 ${fmt(r.loopP99, 1)} max ${fmt(r.loopMax, 1)} ms`,
      );
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
}
