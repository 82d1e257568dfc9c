/**
 * DuckDB store sizing: bytes on disk per stored row of the raw readings table and of each rollup
 * (1 min, 1 h), primary-key indexes included, from a small local run — one day of river gauges
 * reporting every 10 s — then the disk per device and day at 10 s, 1 min and 5 min intervals
 * under the default retention. The figures behind the README's sizing table.
 *
 *   npx tsx bench/store-sizing.ts [devices, default 20]
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createDuckDbStore } from '@ganzhi/store';
import type { Reading } from '@ganzhi/schemas';

const devices = Number(process.argv[2] ?? 20);
const DAY = 86_400_000;
const INTERVAL = 10_000;
const METRICS = { waterLevel: 'm', rainfall: 'mm', rain1h: 'mm', batteryV: 'V' } as const;

const dir = await mkdtemp(join(tmpdir(), 'ganzhi-sizing-'));
try {
  const path = join(dir, 'ganzhi.duckdb');
  const long = 3650 * DAY;
  const store = await createDuckDbStore({ path, retention: { rawMs: long, rollup1mMs: long, rollup1hMs: long } });
  const t0 = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;
  let batch: Reading[] = [];
  for (let ts = t0; ts < t0 + DAY; ts += INTERVAL) {
    for (let d = 0; d < devices; d++) {
      const wave = Math.sin((ts / DAY) * 2 * Math.PI + d);
      batch.push({
        deviceId: `gauge-${String(d).padStart(4, '0')}`,
        kind: 'river_gauge',
        site: `site-${d % 5}`,
        ts,
        metrics: Object.fromEntries(Object.entries(METRICS).map(([m, unit], i) => [m, { value: Math.round((5 + wave * (i + 1)) * 1000) / 1000, unit, quality: 'N' as const }])),
        sourceId: `s-${d}-${ts}`,
        receivedAt: ts + 20,
      });
      if (batch.length >= 2000) {
        await store.writeReadings(batch);
        batch = [];
      }
    }
  }
  await store.writeReadings(batch);
  await store.maintain(t0 + DAY + 60_000);
  await store.close();

  // Each table copied alone into a fresh file (same DDL, so with its primary-key index).
  const db = await DuckDBInstance.create(path);
  const conn = await db.connect();
  const sizes: Record<string, { rows: number; bytes: number }> = {};
  for (const table of ['readings', 'readings_1m', 'readings_1h']) {
    const ddl = (await conn.runAndReadAll(`SELECT sql FROM duckdb_tables() WHERE table_name = '${table}'`)).getRowObjectsJS()[0]?.['sql'] as string;
    const rows = Number((await conn.runAndReadAll(`SELECT count(*) AS n FROM ${table}`)).getRowObjectsJS()[0]?.['n']);
    const measure = async (file: string, fill: boolean) => {
      await conn.run(`ATTACH '${file}' AS x`);
      await conn.run(ddl.replace(/CREATE TABLE (\w+)/, 'CREATE TABLE x.$1'));
      if (fill) await conn.run(`INSERT INTO x.${table} SELECT * FROM ${table}`);
      await conn.run('CHECKPOINT x');
      await conn.run('DETACH x');
      return (await stat(file)).size;
    };
    const empty = await measure(join(dir, `${table}-empty.duckdb`), false);
    const full = await measure(join(dir, `${table}.duckdb`), true);
    sizes[table] = { rows, bytes: full - empty };
  }
  conn.closeSync();
  db.closeSync();

  const per = (t: string) => (sizes[t]!.bytes / sizes[t]!.rows);
  console.log(`${devices} river gauges x 4 metrics, one day at ${INTERVAL / 1000} s:`);
  for (const [t, s] of Object.entries(sizes)) console.log(`  ${t.padEnd(12)} ${s.rows.toLocaleString('en-US').padStart(10)} rows  ${(s.bytes / 1e6).toFixed(2).padStart(7)} MB  ${per(t).toFixed(1)} B/row`);
  const metrics = 4;
  console.log('\nper device (4 metrics) and day, and at the default retention (raw 90 d, rollups 1825 d):');
  console.log('| interval | raw / day | 1-min / day | 1-h / day | raw at 90 d | rollups at 5 y |');
  for (const interval of [10, 60, 300]) {
    const rawRows = (86_400 / interval) * metrics;
    const minRows = Math.min(1440, 86_400 / interval) * metrics;
    const hourRows = 24 * metrics;
    const raw = rawRows * per('readings');
    const m1 = minRows * per('readings_1m');
    // The hour table of a small run is mostly its first blocks: it has the minute table's row
    // layout, so its bytes per row are taken from there.
    const h1 = hourRows * per('readings_1m');
    const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
    console.log(`| ${interval} s | ${kb(raw)} | ${kb(m1)} | ${kb(h1)} | ${mb(raw * 90)} | ${mb((m1 + h1) * 1825)} |`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
