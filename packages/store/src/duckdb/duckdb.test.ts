import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reading } from '../contract-fixtures';
import { runStoreContract } from '../contract';
import { runStoreLifecycleContract } from '../lifecycle-contract';
import type { Store } from '../store';
import { createDuckDbStore } from './duckdb-store';
import { APPENDER_CHUNK_ROWS } from './readings-writer';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ganzhi-duckdb-'));
  dirs.push(dir);
  return dir;
}

function contractFactory(options: { blockingFlush?: boolean } = {}) {
  let dir: string | undefined;
  let n = 0;
  const path = (): string => join(dir ?? '', 'ganzhi.duckdb');
  return {
    async open(): Promise<Store> {
      dir = await mkdtemp(join(tmpdir(), 'ganzhi-duckdb-contract-'));
      return createDuckDbStore({ path: path(), ...options });
    },
    async reopen(previous: Store): Promise<Store> {
      await previous.close();
      return createDuckDbStore({ path: path(), ...options });
    },
    async cleanup(): Promise<void> {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
    uniquePrefix: (): string => `c${++n}`,
  };
}

runStoreContract('DuckDB file', contractFactory());
runStoreContract('DuckDB file, blocking flush', contractFactory({ blockingFlush: true }));

let fresh = 0;
runStoreLifecycleContract('DuckDB file', {
  openFresh: async (retention) => createDuckDbStore({ path: join(await tempDir(), 'lifecycle.duckdb'), retention }),
  uniquePrefix: () => `l${++fresh}`,
});

describe('DuckDB store', () => {
  let store: Store | undefined;
  beforeEach(() => {
    store = undefined;
  });
  afterEach(async () => {
    await store?.close();
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('counts exactly the rows written to a fresh file', async () => {
    store = await createDuckDbStore({ path: join(await tempDir(), 'fresh.duckdb') });
    expect(await store.countReadings()).toBe(0);
    await store.writeReadings([reading('a-1', 'air_monitor', 1000), reading('f-1', 'fire_sensor', 1000)]);
    expect(await store.countReadings()).toBe(6 + 5);
  });

  it('runs in memory with the same behaviour', async () => {
    store = await createDuckDbStore({ path: ':memory:' });
    await store.writeReadings([reading('r-1', 'river_gauge', 1000, { fill: 1 }), reading('r-1', 'river_gauge', 1000, { fill: 2 })]);
    expect((await store.latest({ deviceId: 'r-1' })).map((r) => r.value)).toEqual([2, 2, 2, 2]);
  });

  it('creates the directory of the database file when it is missing', async () => {
    const path = join(await tempDir(), 'nested', 'deeper', 'ganzhi.duckdb');
    store = await createDuckDbStore({ path });
    await store.writeReadings([reading('p-1', 'port_device', 5)]);
    await store.close();
    store = await createDuckDbStore({ path });
    expect(await store.countReadings('p-1')).toBe(4);
  });

  it('fails to open an unusable path with GANZHI_ERR_STORE_UNAVAILABLE', async () => {
    const dir = await tempDir();
    // The path is a directory, so it cannot be a database file.
    await expect(createDuckDbStore({ path: dir })).rejects.toMatchObject({ code: 'GANZHI_ERR_STORE_UNAVAILABLE' });
  });

  it('keeps a resolved write when the process dies without closing', async () => {
    const path = join(await tempDir(), 'crash.duckdb');
    const script = fileURLToPath(new URL('./crash-writer.fixture.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, path, 'crash-1', '500'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const written = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 30_000);
      child.stdout.on('data', (b: Buffer) => {
        if (b.toString().includes('written')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      child.on('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    await exited;
    expect(written, stderr).toBe(true);

    store = await createDuckDbStore({ path });
    expect(await store.countReadings('crash-1')).toBe(1000);
    const [level] = await store.latest({ deviceId: 'crash-1', metric: 'water_level' });
    expect(level?.value).toBe(499);
  });

  it('stores values and strings exactly as written, including non-finite values and odd characters', async () => {
    store = await createDuckDbStore({ path: ':memory:' });
    const values = { water_level: 0.1 + 0.2, rain_1h: Number.NaN, flow: -Infinity, battery: 1.7976931348623157e308 };
    await store.writeReadings([reading('q"\\-水位', 'river_gauge', 1000, { values, site: "it's" })]);
    const rows = await store.latest();
    expect(rows.map((r) => [r.deviceId, r.site, r.metric, r.value])).toEqual([
      ['q"\\-水位', "it's", 'battery', 1.7976931348623157e308],
      ['q"\\-水位', "it's", 'flow', -Infinity],
      ['q"\\-水位', "it's", 'rain_1h', Number.NaN],
      ['q"\\-水位', "it's", 'water_level', 0.1 + 0.2],
    ]);
  });

  it('opens with a memoryLimit and refuses an invalid one with GANZHI_ERR_STORE_UNAVAILABLE', async () => {
    store = await createDuckDbStore({ path: ':memory:', memoryLimit: '64MB', threads: 1 });
    await store.writeReadings([reading('m-1', 'river_gauge', 1000)]);
    expect(await store.countReadings()).toBe(4);
    await expect(createDuckDbStore({ path: ':memory:', memoryLimit: 'lots' })).rejects.toMatchObject({
      code: 'GANZHI_ERR_STORE_UNAVAILABLE',
    });
  });

  it('deletes raw rows exactly past the window, checkpoints, and reuses the freed space', async () => {
    const path = join(await tempDir(), 'retention.duckdb');
    const minute = 60_000;
    const day = 1440 * minute;
    store = await createDuckDbStore({ path, retention: { rawMs: day, rollup1mMs: day, rollup1hMs: 2 * day } });
    const now = 1_800_000_000_000;
    await store.writeReadings([
      reading('b-1', 'river_gauge', now - day - 1, { only: ['water_level'], fill: 1 }),
      reading('b-1', 'river_gauge', now - day, { only: ['water_level'], fill: 2 }),
    ]);
    const report = await store.maintain(now);
    expect(report).toMatchObject({ mode: 'jobs', rawDeleted: 1, checkpointed: true });
    expect((await store.latest({ deviceId: 'b-1' })).map((r) => r.value)).toEqual([2]);
    expect(await store.countReadings('b-1')).toBe(1);

    // A day of readings at a time, each day retired by the next run: the file stops growing.
    const { stat } = await import('node:fs/promises');
    const sizes: number[] = [];
    for (let d = 1; d <= 5; d++) {
      const dayStart = now + d * day;
      const batch = [];
      for (let i = 0; i < 720; i++) batch.push(reading(`s-${i % 20}`, 'air_monitor', dayStart + i * 2 * minute));
      await store.writeReadings(batch);
      await store.maintain(dayStart + day);
      sizes.push((await stat(path)).size);
    }
    expect(await store.countReadings()).toBeLessThanOrEqual(720 * 6 + 1);
    expect(sizes[4]).toBeLessThanOrEqual((sizes[1] ?? 0) * 1.5);
  });

  it('commits the open group on close, the later call winning on a repeated key', async () => {
    const path = join(await tempDir(), 'linger.duckdb');
    store = await createDuckDbStore({ path, lingerMs: 60_000, maxRows: 100_000 });
    const writes = [
      store.writeReadings([reading('g-1', 'river_gauge', 1000, { fill: 1 }), reading('g-2', 'air_monitor', 1000, { fill: 1, site: 'north' })]),
      store.writeReadings([reading('g-1', 'river_gauge', 1000, { fill: 2 }), reading('g-1', 'river_gauge', 2000, { fill: 3, quality: 'T' })]),
    ];
    await store.close();
    await Promise.all(writes);
    store = await createDuckDbStore({ path });
    const rows = await store.latest({ deviceId: 'g-1', metric: 'water_level' });
    expect(rows.map((r) => [r.ts, r.value, r.quality])).toEqual([[2000, 3, 'T']]);
    const range = await store.range({ deviceId: 'g-1', metric: 'water_level', from: 0, to: 3000, bucketMs: 1000 });
    expect(range.map((b) => [b.ts, b.last, b.count])).toEqual([
      [1000, 2, 1],
      [2000, 3, 1],
    ]);
    expect(await store.countReadings('g-1')).toBe(8);
    expect((await store.latest({ deviceId: 'g-2' })).map((r) => r.site)).toEqual(Array(6).fill('north'));
  });

  it.each([false, true])('lands a re-delivered group through the upsert after the Appender refused an existing key, and keeps appending (blockingFlush %s)', async (blockingFlush) => {
    store = await createDuckDbStore({ path: ':memory:', lingerMs: 0, blockingFlush });
    const batch = [reading('u-1', 'fire_sensor', 1000, { fill: 1 }), reading('u-1', 'fire_sensor', 2000, { fill: 1 })];
    await store.writeReadings(batch);
    await store.writeReadings([...batch.map((r) => ({ ...r, metrics: { smoke: { value: 9, unit: 'dB/m', quality: 'N' as const } } })), reading('u-1', 'fire_sensor', 3000, { fill: 4 })]);
    await store.writeReadings([reading('u-1', 'fire_sensor', 4000, { fill: 5 })]);
    expect(await store.countReadings('u-1')).toBe(4 * 5);
    const smoke = await store.range({ deviceId: 'u-1', metric: 'smoke', from: 0, to: 5000, bucketMs: 1000 });
    expect(smoke.map((b) => b.last)).toEqual([9, 9, 4, 5]);
  });

  it.each([false, true])('writes a group of several Appender chunks once, also when its last chunk meets an existing key (blockingFlush %s)', async (blockingFlush) => {
    store = await createDuckDbStore({ path: ':memory:', lingerMs: 0, blockingFlush });
    const n = Math.ceil((3 * APPENDER_CHUNK_ROWS) / 6);
    const group = Array.from({ length: n }, (_, i) => reading(`c-${i % 7}`, 'air_monitor', 1000 * (1 + Math.floor(i / 7)), { fill: i }));
    const last = group[group.length - 1]!;
    await store.writeReadings([last]);
    await store.writeReadings(group);
    expect(await store.countReadings()).toBe(6 * n);
    const [row] = await store.latest({ deviceId: last.deviceId, metric: 'pm25' });
    expect([row?.ts, row?.value]).toEqual([last.ts, n - 1]);
    // A second group of chunks with no existing key goes in too.
    await store.writeReadings(group.map((r) => ({ ...r, ts: r.ts + 10_000_000 })));
    expect(await store.countReadings()).toBe(12 * n);
  });

  it('rejects a negative limit or timestamp with GANZHI_ERR_STORE_QUERY', async () => {
    store = await createDuckDbStore({ path: ':memory:' });
    await expect(store.alertHistory({ limit: -1 })).rejects.toMatchObject({ code: 'GANZHI_ERR_STORE_QUERY' });
    await expect(store.range({ deviceId: 'x', metric: 'm', from: -5, to: 10, bucketMs: 1 })).rejects.toMatchObject({
      code: 'GANZHI_ERR_STORE_QUERY',
    });
  });
});
