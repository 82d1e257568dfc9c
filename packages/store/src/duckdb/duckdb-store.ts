import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from '@ganzhi/log';
import { GanzhiError, type AlertChange, type StoredAlertEvent } from '@ganzhi/schemas';
import { DEFAULT_RETENTION, checkRetention, mergeBuckets, planRange } from '../lifecycle/plan';
import type {
  AlertHistoryQuery,
  BucketRow,
  LatestQuery,
  RangeQuery,
  ReadingRow,
  RetentionPolicy,
  RollupQuery,
  RollupRow,
  Store,
} from '../store';
import { openDuckDbLifecycle, type DuckDbLifecycle } from './lifecycle';
import { CREATE_LIFECYCLE_TABLES, rollupRangeSql, rollupRowsSql } from './lifecycle-sql';
import { ALERT_AUDIT_COLUMNS, alertHistorySql, countSql, latestSql, rangeSql, type Sql } from './queries';
import {
  alertParams,
  alertRowPlaceholders,
  dedupeAlertChanges,
  rowCount,
  toAlertChange,
  toBucketRow,
  toNumber,
  toReadingRow,
  toRollupRow,
  toStoredAlertEvent,
  type SqlParam,
  type StoredReading,
} from './rows';
import { DEFAULT_WRITE_GROUP, createWriteGroups } from './groups';
import { createReadingsWriter, type ReadingsWriter } from './readings-writer';
import { CREATE_TABLES } from './schema';
import { createSerial } from './serial';

export interface DuckDbStoreOptions {
  /** Database file (its directory is created if missing), or ':memory:'. */
  path: string;
  logger?: Logger;
  /**
   * DuckDB's `memory_limit` (its buffer pool: table data, indexes, query state), e.g. '256MB',
   * '1GB'. Default '256MB' (DuckDB's own default is 80 % of RAM).
   */
  memoryLimit?: string;
  /** DuckDB's worker threads; default DuckDB's (one per core). */
  threads?: number;
  /** How long readings and rollups are kept; applied by maintain() (default DEFAULT_RETENTION). */
  retention?: RetentionPolicy;
  /**
   * How long a group of readings stays open for more writeReadings calls before it is committed
   * (ms; default 200, 0 = commit each call alone). Each call resolves when its group is committed.
   */
  lingerMs?: number;
  /** A group is committed at once when it holds this many rows (default 2,000). */
  maxRows?: number;
  /**
   * Every group in one synchronous Appender flush that commits (least CPU; holds the calling
   * thread for the insert and the WAL fsync). Default false: only groups of up to 512 rows;
   * larger ones in a transaction, the Appender in chunks with the event loop let in between,
   * the COMMIT on DuckDB's side. See readings-writer.ts.
   */
  blockingFlush?: boolean;
}

export const DEFAULT_DUCKDB_MEMORY_LIMIT = '256MB';

/** Alert changes per INSERT statement (20 parameters each). */
const ALERT_ROWS_PER_STATEMENT = 100;

/**
 * The embedded store: one DuckDB file. Writes go through one connection, one at a time. Readings
 * of the calls that arrive within `lingerMs` (up to `maxRows` rows) are committed together, and
 * each call resolves once that commit is durable (in the WAL); alert events are one commit per
 * call.
 * Each query runs on a short-lived connection of its own and sees every write that resolved
 * before it started.
 */
/** The DuckDB store: a `Store` whose writes need only the fields it keeps of a reading. */
export interface DuckDbStore extends Store {
  writeReadings(readings: readonly StoredReading[]): Promise<void>;
}

export async function createDuckDbStore(options: DuckDbStoreOptions): Promise<DuckDbStore> {
  const log = options.logger;
  const { path } = options;
  let instance: DuckDBInstance | undefined;
  let writer: DuckDBConnection;
  let readingWriter: ReadingsWriter;
  let lifecycle: DuckDbLifecycle;
  const retention = checkRetention(options.retention ?? DEFAULT_RETENTION);
  const config: Record<string, string> = { memory_limit: options.memoryLimit ?? DEFAULT_DUCKDB_MEMORY_LIMIT };
  if (options.threads !== undefined) config['threads'] = String(options.threads);
  try {
    if (path !== ':memory:') await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    instance = await DuckDBInstance.create(path, config);
    writer = await instance.connect();
    for (const ddl of [...CREATE_TABLES, ...CREATE_LIFECYCLE_TABLES]) await writer.run(ddl);
    lifecycle = await openDuckDbLifecycle(writer, retention);
    readingWriter = await createReadingsWriter(writer, lifecycle, options.blockingFlush ?? false);
  } catch (err) {
    instance?.closeSync();
    throw new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', `cannot open DuckDB at ${path}`, { cause: err });
  }
  const db = instance;
  const writes = createSerial();
  const reads = new Set<Promise<unknown>>();
  let closing: Promise<void> | undefined;
  log?.info({ path, memoryLimit: config['memory_limit'] }, 'store opened');

  function ensureOpen(): void {
    if (closing) throw new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', 'store is closed');
  }

  /** Writes are retryable: their SQL is fixed, so a failure is the database's, not the input's. */
  function write(what: string, op: () => Promise<void>): Promise<void> {
    ensureOpen();
    return queueWrite(what, op);
  }

  /** Also after close began: a group accepted before close is still committed by it. */
  function queueWrite(what: string, op: () => Promise<void>): Promise<void> {
    return writes.run(async () => {
      try {
        await op();
      } catch (err) {
        throw new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', `${what} failed`, { cause: err });
      }
    });
  }

  const groups = createWriteGroups<StoredReading>(
    { lingerMs: options.lingerMs ?? DEFAULT_WRITE_GROUP.lingerMs, maxRows: options.maxRows ?? DEFAULT_WRITE_GROUP.maxRows },
    (group, rows) => queueWrite('writing readings', () => readingWriter.write(group, rows)),
  );

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
    await groups.drain();
    await writes.idle();
    await Promise.allSettled([...reads]);
    try {
      readingWriter.close();
      await writer.run('CHECKPOINT');
    } catch (err) {
      log?.warn({ err }, 'checkpoint on close failed; the WAL is replayed on the next open');
    }
    writer.closeSync();
    db.closeSync();
    log?.info({ path }, 'store closed');
  }

  return {
    async writeReadings(readings: readonly StoredReading[]): Promise<void> {
      ensureOpen();
      const rows = rowCount(readings);
      if (rows === 0) return;
      return groups.add(readings, rows);
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
      rangeSql(q); // validates the whole query before it is split
      const segments = planRange(q, lifecycle.rolledThrough(q.deviceId));
      const parts = await Promise.all(
        segments.map(async (s) => {
          const part = { ...q, from: s.from, to: s.to };
          const sql = s.source === 'raw' ? rangeSql(part) : rollupRangeSql(s.source, part);
          return (await query(sql)).map(toBucketRow);
        }),
      );
      return mergeBuckets(parts);
    },
    async rollups(q: RollupQuery): Promise<RollupRow[]> {
      return (await query(rollupRowsSql(q))).map(toRollupRow);
    },
    maintain(now: number) {
      ensureOpen();
      return writes.run(async () => {
        try {
          const report = await lifecycle.maintain(writer, now);
          log?.info({ ...report }, 'store maintenance done');
          return report;
        } catch (err) {
          throw new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', 'store maintenance failed', { cause: err });
        }
      });
    },
    async alertHistory(q?: AlertHistoryQuery): Promise<AlertChange[]> {
      return (await query(alertHistorySql(q))).map(toAlertChange);
    },
    async alertEvents(q?: AlertHistoryQuery): Promise<StoredAlertEvent[]> {
      return (await query(alertHistorySql(q, ALERT_AUDIT_COLUMNS))).map(toStoredAlertEvent);
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
