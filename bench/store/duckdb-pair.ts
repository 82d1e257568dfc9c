import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import { createDuckDbStore, type DuckDbStoreOptions } from '@ganzhi/store';
import type { Reading } from '@ganzhi/schemas';
import { CREATE_TABLES } from '../../packages/store/src/duckdb/schema';
import { mergeSides, timedWrites, type PairRow, type SideResult } from './readings';

const T0 = 1_700_000_000_000;

/** The raw baseline: DuckDB's Appender on a table of the same shape, one flush per batch. */
async function rawSide(path: string, seconds: number, batch: number): Promise<SideResult> {
  const instance = await DuckDBInstance.create(path, { memory_limit: '256MB' });
  const conn = await instance.connect();
  try {
    for (const ddl of CREATE_TABLES) await conn.run(ddl);
    const a = await conn.createAppender('readings');
    const r = await timedWrites(seconds, batch, T0, 0, async (readings: Reading[]) => {
      for (const r of readings) {
        const ts = new DuckDBTimestampValue(BigInt(r.ts) * 1000n);
        for (const metric in r.metrics) {
          const m = r.metrics[metric]!;
          a.appendVarchar(r.deviceId);
          a.appendVarchar(r.kind);
          if (r.site === undefined) a.appendNull();
          else a.appendVarchar(r.site);
          a.appendVarchar(metric);
          a.appendTimestamp(ts);
          a.appendDouble(m.value);
          a.appendVarchar(m.unit);
          a.appendVarchar(m.quality);
          a.endRow();
        }
      }
      a.flushSync();
    });
    a.closeSync();
    return r;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function oursSide(path: string, seconds: number, batch: number, options: Partial<DuckDbStoreOptions>): Promise<SideResult> {
  const store = await createDuckDbStore({ path, ...options });
  try {
    return await timedWrites(seconds, batch, T0, 0, (readings) => store.writeReadings(readings));
  } finally {
    await store.close();
  }
}

/**
 * Our DuckDB store against the raw Appender, same table, same readings, one producer awaiting
 * each batch, each side in a fresh file. Ours runs as configured by default (a transaction, the
 * Appender in chunks, the commit on DuckDB's side) and with blockingFlush (one committing
 * flush, as the raw side does), in the order default, raw, blocking, blocking, raw, default so
 * that drift on a busy machine falls on every side. Small batches run with lingerMs 0: a single
 * producer that awaits each write would otherwise measure the linger (a wait, not work).
 */
export async function pairDuckDb(seconds: number, batches: readonly number[], log: (line: string) => void): Promise<PairRow[]> {
  const out: PairRow[] = [];
  for (const batch of batches) {
    const small = batch * 5 < 2000;
    const options: Partial<DuckDbStoreOptions> = small ? { lingerMs: 0 } : {};
    const blocking = { ...options, blockingFlush: true };
    const dir = await mkdtemp(join(tmpdir(), 'ganzhi-bench-duckdb-pair-'));
    let n = 0;
    const file = () => join(dir, `${++n}.duckdb`);
    try {
      log(`  DuckDB batch ${batch}: ours, raw Appender, ours (blocking flush) ×2, raw, ours (${seconds / 2} s of writes each)`);
      const o1 = await oursSide(file(), seconds / 2, batch, options);
      const r1 = await rawSide(file(), seconds / 2, batch);
      const b1 = await oursSide(file(), seconds / 2, batch, blocking);
      const b2 = await oursSide(file(), seconds / 2, batch, blocking);
      const r2 = await rawSide(file(), seconds / 2, batch);
      const o2 = await oursSide(file(), seconds / 2, batch, options);
      const shape = `1 producer × ${batch} readings${small ? ' (linger 0)' : ''}`;
      const raw = mergeSides(r1, r2);
      out.push({ store: 'DuckDB', shape, ours: mergeSides(o1, o2), raw });
      out.push({ store: 'DuckDB', shape: `${shape}, blocking flush`, ours: mergeSides(b1, b2), raw });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return out;
}
