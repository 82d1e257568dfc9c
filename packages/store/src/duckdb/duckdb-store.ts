import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from '@ganzhi/log';
import { GanzhiError, type AlertChange, type Reading } from '@ganzhi/schemas';
import type { AlertHistoryQuery, BucketRow, LatestQuery, RangeQuery, ReadingRow, Store } from '../store';
import { alertHistorySql, countSql, latestSql, rangeSql, type Sql } from './queries';
import {
  alertParams,
  alertRowPlaceholders,
  dedupeAlertChanges,
  flattenReadings,
  toAlertChange,
  toBucketRow,
  toNumber,
  toReadingRow,
  type SqlParam,
  type StagedRow,
} from './rows';
import { CLEAR_STAGED, CREATE_STAGING, CREATE_TABLES, INSERT_STAGED, STAGING_TABLE, UPSERT_STAGED } from './schema';
import { createSerial } from './serial';

export interface DuckDbStoreOptions {
  /** Database file (its directory is created if missing), or ':memory:'. */
  path: string;
  logger?: Logger;
}

/** Alert changes per INSERT statement (20 parameters each). */
const ALERT_ROWS_PER_STATEMENT = 100;

/**
 * The embedded store: one DuckDB file. Writes go through one connection, one at a time; each
 * write is one committed statement per batch, so it is durable (in the WAL) when it resolves.
 * Each query runs on a short-lived connection of its own and sees every write that resolved
 * before it started.
 */
export async function createDuckDbStore(options: DuckDbStoreOptions): Promise<Store> {
  const log = options.logger;
  const { path } = options;
  let instance: DuckDBInstance | undefined;
  let writer: DuckDBConnection;
  try {
    if (path !== ':memory:') await mkdir(dirname(path), { recursive: true });
    instance = await DuckDBInstance.create(path);
    writer = await instance.connect();
    for (const ddl of CREATE_TABLES) await writer.run(ddl);
    await writer.run(CREATE_STAGING);
  } catch (err) {
    instance?.closeSync();
    throw new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', `cannot open DuckDB at ${path}`, { cause: err });
  }
  const db = instance;
  const writes = createSerial();
  const reads = new Set<Promise<unknown>>();
  let appender: DuckDBAppender | undefined;
  let closing: Promise<void> | undefined;
  log?.info({ path }, 'store opened');

  function ensureOpen(): void {
    if (closing) throw new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', 'store is closed');
  }

  /** Writes are retryable: their SQL is fixed, so a failure is the database's, not the input's. */
  function write(what: string, op: () => Promise<void>): Promise<void> {
    ensureOpen();
    return writes.run(async () => {
      try {
        await op();
      } catch (err) {
        throw new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', `${what} failed`, { cause: err });
      }
    });
  }

  async function writeRows(rows: readonly StagedRow[]): Promise<void> {
    try {
      appender ??= await writer.createAppender(STAGING_TABLE.table, STAGING_TABLE.schema, STAGING_TABLE.catalog);
      const a = appender;
      for (const r of rows) {
        a.appendVarchar(r.deviceId);
        a.appendVarchar(r.kind);
        if (r.site === null) a.appendNull();
        else a.appendVarchar(r.site);
        a.appendVarchar(r.metric);
        a.appendBigInt(BigInt(r.ts));
        a.appendDouble(r.value);
        a.appendVarchar(r.unit);
        a.appendVarchar(r.quality);
        a.endRow();
      }
      a.flushSync();
      try {
        await writer.run(INSERT_STAGED);
      } catch {
        // Some key exists already (or the insert failed for another reason, in which case the
        // upsert fails too and that error is reported). A failed statement changes nothing.
        await writer.run(UPSERT_STAGED);
      }
    } catch (err) {
      // An appender that failed mid-row is not reusable: drop it and make a new one next time.
      try {
        appender?.closeSync();
      } catch {
        // already broken
      }
      appender = undefined;
      throw err;
    } finally {
      await writer.run(CLEAR_STAGED).catch((err: unknown) => log?.warn({ err }, 'clearing the staging table failed'));
    }
  }

  async function writeAlerts(changes: readonly AlertChange[]): Promise<void> {
    // Statements are idempotent, so a batch split over several is safe to retry as a whole.
    for (let i = 0; i < changes.length; i += ALERT_ROWS_PER_STATEMENT) {
      const part = changes.slice(i, i + ALERT_ROWS_PER_STATEMENT);
      const values: SqlParam[] = [];
      const rows: string[] = [];
      for (const c of part) {
        rows.push(alertRowPlaceholders(values.length + 1));
        values.push(...alertParams(c));
      }
      await writer.run(`INSERT OR REPLACE INTO alert_events VALUES ${rows.join(', ')}`, values);
    }
  }

  async function query(sql: Sql): Promise<Record<string, unknown>[]> {
    ensureOpen();
    const run = (async () => {
      const conn = await db.connect();
      try {
        const reader = await conn.runAndReadAll(sql.text, sql.params);
        return reader.getRowObjectsJS() as Record<string, unknown>[];
      } catch (err) {
        throw new GanzhiError('GANZHI_ERR_STORE_QUERY', 'DuckDB query failed', { cause: err });
      } finally {
        conn.closeSync();
      }
    })();
    reads.add(run);
    try {
      return await run;
    } finally {
      reads.delete(run);
    }
  }

  async function shutdown(): Promise<void> {
    await writes.idle();
    await Promise.allSettled([...reads]);
    try {
      appender?.closeSync();
      await writer.run('CHECKPOINT');
    } catch (err) {
      log?.warn({ err }, 'checkpoint on close failed; the WAL is replayed on the next open');
    }
    writer.closeSync();
    db.closeSync();
    log?.info({ path }, 'store closed');
  }

  return {
    async writeReadings(readings: readonly Reading[]): Promise<void> {
      const rows = flattenReadings(readings);
      if (rows.length === 0) return ensureOpen();
      return write('writing readings', () => writeRows(rows));
    },
    async writeAlertEvents(changes: readonly AlertChange[]): Promise<void> {
      const unique = dedupeAlertChanges(changes);
      if (unique.length === 0) return ensureOpen();
      return write('writing alert events', () => writeAlerts(unique));
    },
    async latest(q?: LatestQuery): Promise<ReadingRow[]> {
      return (await query(latestSql(q))).map(toReadingRow);
    },
    async range(q: RangeQuery): Promise<BucketRow[]> {
      return (await query(rangeSql(q))).map(toBucketRow);
    },
    async alertHistory(q?: AlertHistoryQuery): Promise<AlertChange[]> {
      return (await query(alertHistorySql(q))).map(toAlertChange);
    },
    async countReadings(deviceId?: string): Promise<number> {
      const rows = await query(countSql(deviceId));
      return toNumber(rows[0]?.['n'] ?? 0);
    },
    close(): Promise<void> {
      closing ??= shutdown();
      return closing;
    },
  };
}
