import { Sender, SenderOptions } from '@questdb/nodejs-client';
import { GanzhiError, isGanzhiError, type AlertChange, type Reading, type StoredAlertEvent } from '@ganzhi/schemas';
import { DEFAULT_RETENTION, checkRetention, mergeBuckets, planRange } from '../lifecycle/plan';
import type { AlertHistoryQuery, BucketRow, LatestQuery, RangeQuery, ReadingRow, RollupQuery, RollupRow, Store } from '../store';
import { resolveOptions, senderConfig, type QuestDbStoreOptions, type ResolvedOptions } from './config';
import { createExecClient, type ExecClient } from './http';
import { openQuestDbLifecycle, type QuestDbLifecycle } from './lifecycle';
import { rollupRangeSql, rollupRowsSql } from './lifecycle-sql';
import {
  sortAlertChanges,
  sortBuckets,
  sortLatest,
  toAlertChange,
  toBucketRow,
  toCount,
  toReadingRow,
  toRollupRow,
  toStoredAlertEvent,
  toWalStatus,
} from './parse';
import { backoffDelay } from './policy';
import { alertRows, readingRows, tablesOf, writeRow, type IlpRow } from './rows';
import {
  ALERT_AUDIT_COLUMNS,
  alertHistorySql,
  countSql,
  createAlertEventsSql,
  createReadingsSql,
  latestSql,
  rangeSql,
  tableNames,
  walStatusSql,
  type TableNames,
} from './sql';
import { BatchWriter, type BatchWriterStats, type FailureKind } from './writer';

export interface QuestDbStore extends Store {
  readonly tables: TableNames;
  /** How rollups and retention run on this server: 'server' (TTL, materialized views) or 'jobs'. */
  readonly lifecycle: QuestDbLifecycle;
  /** Writer counters: pending rows, flushes, rows flushed, failed attempts, rejected rows. */
  stats(): BatchWriterStats;
}

/**
 * How a failed ILP flush is handled. The client reports HTTP failures only as an Error whose
 * message carries `statusCode=NNN` (it has no code property), so that is parsed here, in this
 * one place: a 4xx other than 408/429 means QuestDB refused the rows (retrying cannot help);
 * everything else — connection refused or reset, timeouts, 5xx — is transient.
 */
export function classifyIlpError(err: unknown): FailureKind {
  if (isGanzhiError(err)) return err.retryable ? 'retry' : 'reject';
  const message = err instanceof Error ? err.message : String(err);
  const m = /statusCode=(\d{3})/.exec(message);
  if (m) {
    const status = Number(m[1]);
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) return 'reject';
  }
  return 'retry';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The QuestDB Store: ILP over HTTP to write (`@questdb/nodejs-client`), SQL over HTTP
 * (`/exec`) to create the tables and to query. See README.md beside this file for the layout.
 * Resolves once both tables exist and the Sender is ready; while QuestDB is unreachable at open,
 * retries with the configured backoff `openAttempts` times, then fails with
 * GANZHI_ERR_STORE_UNAVAILABLE.
 */
export async function createQuestDbStore(options: QuestDbStoreOptions): Promise<QuestDbStore> {
  const r = resolveOptions(options);
  const t = tableNames(options.tablePrefix ?? '');
  const log = options.logger?.child({ component: 'questdb-store' });
  const exec = createExecClient({
    url: r.endpoint.url,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.tlsVerify !== undefined ? { tlsVerify: options.tlsVerify } : {}),
    timeoutMs: r.requestTimeoutMs,
  });

  const retention = checkRetention(options.retention ?? DEFAULT_RETENTION);
  let sender: Sender;
  let lifecycle: QuestDbLifecycle;
  try {
    sender = await open(options, r, t, exec, log);
    lifecycle = await openQuestDbLifecycle(exec, t, retention, log);
  } catch (err) {
    exec.close();
    throw err;
  }

  let visibility = r.awaitVisible;

  async function awaitVisible(tables: readonly string[]): Promise<void> {
    if (!visibility) return;
    const deadline = Date.now() + r.visibleTimeoutMs;
    let targets: Map<string, number> | undefined;
    let delay = 2;
    for (let i = 0; i < 10_000; i++) {
      let statuses;
      try {
        statuses = (await exec.query(walStatusSql(tables))).map(toWalStatus);
      } catch (err) {
        if (isGanzhiError(err, 'GANZHI_ERR_STORE_QUERY')) {
          visibility = false; // e.g. wal_tables() unavailable: rows are durable, stop waiting for good
          log?.warn({ err }, 'cannot read WAL status; writes will no longer wait for visibility');
        } else {
          log?.warn({ err }, 'cannot read WAL status after a flush; not waiting for visibility');
        }
        return;
      }
      const key = (s: { name: string }) => s.name.toLowerCase(); // table names are case-insensitive
      targets ??= new Map(statuses.map((s) => [key(s), s.sequencerTxn]));
      const behind = statuses.filter((s) => s.writerTxn < (targets?.get(key(s)) ?? 0));
      if (behind.length === 0) return;
      if (behind.some((s) => s.suspended)) {
        log?.error({ tables: behind.map((s) => s.name) }, 'WAL table suspended: rows are durable but not visible');
        return;
      }
      if (Date.now() >= deadline) {
        log?.warn({ tables: behind.map((s) => s.name), timeoutMs: r.visibleTimeoutMs }, 'WAL apply is slow');
        return;
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 50);
    }
  }

  async function send(rows: readonly IlpRow[]): Promise<void> {
    sender.reset();
    try {
      for (const row of rows) await writeRow(sender, row);
    } catch (err) {
      sender.reset();
      throw new GanzhiError('GANZHI_ERR_STORE_QUERY', 'the ILP client refused a row', { cause: err });
    }
    try {
      await sender.flush(); // one HTTP request = one transaction
    } catch (err) {
      sender.reset(); // the client has already dropped its copy; ours stays queued
      throw err;
    }
    await awaitVisible(tablesOf(rows));
  }

  const writer = new BatchWriter<IlpRow>({
    send,
    classify: classifyIlpError,
    flush: r.flush,
    retry: r.retry,
    ...(options.clock ? { clock: options.clock } : {}),
    onFailure: (err, info) => {
      if (info.kind === 'reject') log?.error({ err, rows: info.rows }, 'QuestDB rejected a batch');
      else log?.warn({ err, attempt: info.attempt, rows: info.rows, retryInMs: info.retryInMs }, 'QuestDB flush failed');
    },
  });

  let closed = false;
  function ensureOpen(): void {
    if (closed) throw new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', 'store is closed');
  }

  return {
    tables: t,
    lifecycle,

    async writeReadings(readings: readonly Reading[]): Promise<void> {
      ensureOpen();
      await writer.write(readingRows(t, readings));
    },

    async writeAlertEvents(changes: readonly AlertChange[]): Promise<void> {
      ensureOpen();
      await writer.write(alertRows(t, changes));
    },

    async latest(query?: LatestQuery): Promise<ReadingRow[]> {
      ensureOpen();
      return sortLatest((await exec.query(latestSql(t, query))).map(toReadingRow));
    },

    async range(query: RangeQuery): Promise<BucketRow[]> {
      ensureOpen();
      rangeSql(t, query); // validates before the empty-range shortcut
      if (query.to <= query.from) return [];
      const segments = planRange(query, await lifecycle.rolledThrough());
      const parts = await Promise.all(
        segments.map(async (s) => {
          const part = { ...query, from: s.from, to: s.to };
          const sql = s.source === 'raw' ? rangeSql(t, part) : rollupRangeSql(lifecycle.names, s.source, part);
          return sortBuckets((await exec.query(sql)).map(toBucketRow));
        }),
      );
      return mergeBuckets(parts);
    },

    async rollups(query: RollupQuery): Promise<RollupRow[]> {
      ensureOpen();
      rangeSql(t, { ...query, bucketMs: 1 });
      return (await exec.query(rollupRowsSql(lifecycle.names, query))).map(toRollupRow);
    },

    async maintain(now: number) {
      ensureOpen();
      const report = await lifecycle.maintain(now);
      log?.info({ ...report }, 'store maintenance done');
      return report;
    },

    async alertHistory(query?: AlertHistoryQuery): Promise<AlertChange[]> {
      ensureOpen();
      const sql = alertHistorySql(t, query);
      if (query?.limit === 0) return [];
      return sortAlertChanges((await exec.query(sql)).map(toAlertChange));
    },

    async alertEvents(query?: AlertHistoryQuery): Promise<StoredAlertEvent[]> {
      ensureOpen();
      const sql = alertHistorySql(t, query, ALERT_AUDIT_COLUMNS);
      if (query?.limit === 0) return [];
      const rows = (await exec.query(sql)).map(toStoredAlertEvent);
      const order = new Map(sortAlertChanges(rows.map((r) => r.change)).map((c, i) => [c, i]));
      return rows.sort((a, b) => order.get(a.change)! - order.get(b.change)!);
    },

    async countReadings(deviceId?: string): Promise<number> {
      ensureOpen();
      return toCount(await exec.query(countSql(t, deviceId)));
    },

    stats: () => writer.stats(),

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      try {
        await writer.close();
      } finally {
        await sender.close().catch(() => undefined);
        exec.close();
      }
    },
  };
}

/** Creates the tables (idempotent) and the Sender, retrying while QuestDB is unreachable. */
async function open(
  options: QuestDbStoreOptions,
  r: ResolvedOptions,
  t: TableNames,
  exec: ExecClient,
  log: QuestDbStoreOptions['logger'],
): Promise<Sender> {
  const senderLog = (level: 'error' | 'warn' | 'info' | 'debug', message: string | Error): void => {
    if (level === 'debug' || !log) return; // the client logs every row at debug
    log[level]({ component: 'questdb-sender' }, String(message));
  };
  try {
    new SenderOptions(senderConfig(options, r, '1')); // validates, no I/O: a bad option fails here, not in the retry loop
  } catch (err) {
    throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `QuestDB client options: ${(err as Error).message}`, { cause: err });
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await exec.query(createReadingsSql(t));
      await exec.query(createAlertEventsSql(t));
      // 'auto' is resolved here (with credentials, on node:http) rather than by the client
      const version = !options.protocolVersion || options.protocolVersion === 'auto' ? await exec.protocolVersion() : options.protocolVersion;
      return await Sender.fromConfig(senderConfig(options, r, version), { log: senderLog });
    } catch (err) {
      const transient = isGanzhiError(err) ? err.retryable : true;
      if (!transient) throw err;
      if (attempt >= r.openAttempts) {
        throw isGanzhiError(err)
          ? err
          : new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', `cannot reach QuestDB at ${r.endpoint.url}`, { cause: err });
      }
      const wait = backoffDelay(attempt, r.retry);
      log?.warn({ err, attempt, retryInMs: wait }, 'QuestDB not reachable at open');
      await sleep(wait);
    }
  }
}
