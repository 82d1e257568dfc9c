import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@ganzhi/log';
import { reading } from '../../contract-fixtures';
import { runStoreContract } from '../../contract';
import { runStoreLifecycleContract } from '../../lifecycle-contract';
import type { Store } from '../../store';
import { createDuckDbStore } from '../duckdb-store';
import { createThreadedDuckDbStore, STORE_THREAD } from './threaded-store';
import type { Worker } from 'node:worker_threads';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ganzhi-duckdb-thread-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function contractFactory() {
  let dir: string | undefined;
  let n = 0;
  const path = (): string => join(dir ?? '', 'ganzhi.duckdb');
  return {
    async open(): Promise<Store> {
      dir = await tempDir();
      return createThreadedDuckDbStore({ path: path(), lingerMs: 20 });
    },
    async reopen(previous: Store): Promise<Store> {
      await previous.close();
      return createThreadedDuckDbStore({ path: path(), lingerMs: 20 });
    },
    async cleanup(): Promise<void> {},
    uniquePrefix: (): string => `t${++n}`,
  };
}

// The same guarantees as the store on the calling thread.
runStoreContract('DuckDB on its own thread', contractFactory());
let fresh = 0;
runStoreLifecycleContract('DuckDB on its own thread', {
  openFresh: async (retention) => createThreadedDuckDbStore({ path: join(await tempDir(), 'lifecycle.duckdb'), retention }),
  uniquePrefix: () => `tl${++fresh}`,
});

describe('the DuckDB store on its own thread', () => {
  it('writes the readings of calls within the linger, and they are on disk for the next opener', async () => {
    const path = join(await tempDir(), 'groups.duckdb');
    const store = await createThreadedDuckDbStore({ path, lingerMs: 50 });
    const calls = Array.from({ length: 20 }, (_, i) => store.writeReadings([reading('g-1', 'river_gauge', 1_800_000_000_000 + i * 1000)]));
    await Promise.all(calls);
    expect(await store.countReadings('g-1')).toBeGreaterThan(0);
    const rows = await store.countReadings('g-1');
    await store.close();
    const again = await createDuckDbStore({ path });
    try {
      expect(await again.countReadings('g-1')).toBe(rows);
    } finally {
      await again.close();
    }
  });

  it('stores values and strings exactly as written across the thread, non-finite values included', async () => {
    const store = await createThreadedDuckDbStore({ path: join(await tempDir(), 'exact.duckdb'), lingerMs: 0 });
    try {
      const odd = { water_level: 0.1 + 0.2, rain_1h: Number.NaN, flow: -Infinity, battery: 1.7976931348623157e308 };
      const plain = { water_level: 0.1 + 0.2, battery: 1.7976931348623157e308 };
      await store.writeReadings([reading('q"\\-水位', 'river_gauge', 1000, { values: odd, site: "it's" })]);
      await store.writeReadings([reading('p-\u2028😀', 'river_gauge', 2000, { values: plain, only: Object.keys(plain), site: 'é"\n' })]);
      const rows = await store.latest();
      expect(rows.map((r) => [r.deviceId, r.site, r.metric, r.value])).toEqual([
        ['p-\u2028😀', 'é"\n', 'battery', 1.7976931348623157e308],
        ['p-\u2028😀', 'é"\n', 'water_level', 0.1 + 0.2],
        ['q"\\-水位', "it's", 'battery', 1.7976931348623157e308],
        ['q"\\-水位', "it's", 'flow', -Infinity],
        ['q"\\-水位', "it's", 'rain_1h', Number.NaN],
        ['q"\\-水位', "it's", 'water_level', 0.1 + 0.2],
      ]);
    } finally {
      await store.close();
    }
  });

  it('fails to open an unusable path with GANZHI_ERR_STORE_UNAVAILABLE, from the thread', async () => {
    const dir = await tempDir();
    await expect(createThreadedDuckDbStore({ path: dir })).rejects.toMatchObject({ code: 'GANZHI_ERR_STORE_UNAVAILABLE' });
  });

  it('keeps the typed error of a refused query, with its code and text', async () => {
    const store = await createThreadedDuckDbStore({ path: join(await tempDir(), 'errors.duckdb') });
    try {
      const err = await store.alertHistory({ limit: -1 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'GANZHI_ERR_STORE_QUERY', name: 'GanzhiError' });
      expect(String((err as Error).message)).toMatch(/limit/);
    } finally {
      await store.close();
    }
  });

  it('refuses every call after close, and closing twice is harmless', async () => {
    const store = await createThreadedDuckDbStore({ path: join(await tempDir(), 'dead.duckdb') });
    await store.close();
    await expect(store.countReadings()).rejects.toMatchObject({ code: 'GANZHI_ERR_STORE_UNAVAILABLE' });
    await expect(store.writeReadings([reading('d-1', 'river_gauge', 1_800_000_000_000)])).rejects.toMatchObject({ code: 'GANZHI_ERR_STORE_UNAVAILABLE' });
    await store.close(); // twice is fine
  });

  it('fails calls as an outage while its thread is gone, then starts a new one on the same file', async () => {
    const store = await createThreadedDuckDbStore({ path: join(await tempDir(), 'crash.duckdb'), lingerMs: 0 });
    await store.writeReadings([reading('c-1', 'river_gauge', 1_800_000_000_000)]);
    const rows = await store.countReadings('c-1');
    await (store as unknown as { [STORE_THREAD]: Worker })[STORE_THREAD].terminate();
    await expect(store.countReadings()).rejects.toMatchObject({ code: 'GANZHI_ERR_STORE_UNAVAILABLE', retryable: true, message: expect.stringMatching(/exited/) });
    await expect(store.writeReadings([reading('c-1', 'river_gauge', 1_800_000_001_000)])).rejects.toMatchObject({ code: 'GANZHI_ERR_STORE_UNAVAILABLE' });
    // A new thread opens the same file: what was written is there, and writes go on.
    await expect.poll(() => store.countReadings('c-1').catch(() => -1), { timeout: 30_000, interval: 200 }).toBe(rows);
    await store.writeReadings([reading('c-1', 'river_gauge', 1_800_000_002_000)]);
    expect(await store.countReadings('c-1')).toBe(2 * rows);
    await store.close();
  });

  it('passes the thread log records to the given logger', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const store = await createThreadedDuckDbStore({ path: join(await tempDir(), 'log.duckdb'), logger: createLogger({ level: 'info', destination }) });
    await store.close();
    const records = lines.join('').trim().split('\n').map((l) => JSON.parse(l) as { msg: string; thread?: string });
    expect(records.some((r) => r.msg === 'store opened' && r.thread === 'store')).toBe(true);
  });
});
