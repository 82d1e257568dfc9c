import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DuckDBAppender, DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import { appendReadings } from './appender';
import { encodeReadings } from './batch-json';
import type { DuckDbLifecycle } from './lifecycle';
import type { StoredReading } from './rows';
import { UPSERT_JSON } from './schema';

/**
 * Rows handed to DuckDB per synchronous appender flush: the longest the writer's thread is held
 * at once (a few ms); between chunks the event loop runs.
 */
export const APPENDER_CHUNK_ROWS = 512;

const noWait = (): Promise<void> => Promise.resolve();

export interface ReadingsWriter {
  /** Writes one group of `rows` rows; resolves once it is committed (durable in the WAL). Not re-entrant. */
  write(readings: readonly StoredReading[], rows: number): Promise<void>;
  close(): void;
}

/**
 * How readings go into DuckDB, on the store's one writer connection (the caller runs one write
 * at a time, and nothing else on that connection meanwhile), through the Appender, DuckDB's
 * cheapest way in (no SQL text, no JSON):
 *
 * - a group of at most APPENDER_CHUNK_ROWS rows (the low rates, with the linger): one Appender
 *   flush, which is one commit — the least CPU, and the calling thread is held for a few ms
 *   (the insert and the WAL fsync);
 * - a larger group (high rates): BEGIN; the Appender in chunks of APPENDER_CHUNK_ROWS with the
 *   event loop let in between (inside a transaction a flush commits nothing); COMMIT, which
 *   (with its WAL fsync) runs on DuckDB's side, not on the caller's thread. It costs more CPU
 *   per row than one big committing flush, which would hold the thread for tens of ms.
 *
 * `blockingFlush` makes every group one committing flush (the raw Appender's throughput; for a
 * writer with a thread of its own). When a key exists already (re-delivery after a crash, a
 * correction) the Appender refuses the flush as a whole: nothing of the group stays (the
 * transaction, if any, is rolled back) and the group goes in as one upsert statement, last
 * write winning; if that fails too, its error is the one reported.
 */
export async function createReadingsWriter(conn: DuckDBConnection, lifecycle: DuckDbLifecycle, blockingFlush = false): Promise<ReadingsWriter> {
  let appender: DuckDBAppender = await conn.createAppender('readings');
  const upsert: DuckDBPreparedStatement = await conn.prepare(UPSERT_JSON);

  async function renewAppender(): Promise<void> {
    try {
      appender.closeSync();
    } catch {
      // An appender whose flush failed refuses to close; it is freed with its handle.
    }
    appender = await conn.createAppender('readings');
  }

  async function upsertJson(readings: readonly StoredReading[]): Promise<void> {
    const batch = encodeReadings(readings);
    if (batch.rows === 0) return;
    upsert.bindVarchar(1, batch.json);
    try {
      await upsert.run();
    } finally {
      upsert.clearBindings();
    }
  }

  return {
    async write(readings, rows) {
      // Before the rows, in a commit of its own: a mark outlives a rolled-back group (harmless:
      // it only makes the next maintenance run recompute those minutes).
      await lifecycle.markLate(conn, readings);
      if (blockingFlush || rows <= APPENDER_CHUNK_ROWS) {
        try {
          await appendReadings(appender, readings, Number.MAX_SAFE_INTEGER, noWait);
          return; // the flush was atomic and committed
        } catch {
          await renewAppender();
        }
        return upsertJson(readings);
      }
      await conn.run('BEGIN TRANSACTION');
      try {
        await appendReadings(appender, readings, APPENDER_CHUNK_ROWS, () => nextTurn());
        await conn.run('COMMIT');
        return;
      } catch {
        await conn.run('ROLLBACK').catch(() => undefined);
        await renewAppender();
      }
      await upsertJson(readings);
    },
    close() {
      appender.closeSync();
      upsert.destroySync();
    },
  };
}
