import { GanzhiError } from '@ganzhi/schemas';
import { DAY_MS } from '../lifecycle/plan';
import type { RangeQuery, Resolution, RetentionPolicy, RollupQuery } from '../store';
import { quoteLiteral, rangeSql, sampleStride, timestampLiteral, type TableNames } from './sql';

/**
 * Rollups and retention on QuestDB. Two paths, chosen at open from the server's version:
 *   server — QuestDB runs them itself: TTL on the readings table (QuestDB >= TTL_SINCE) and two
 *            materialized views `SAMPLE BY 1m` / `SAMPLE BY 1h` over it, each with its own TTL
 *            (QuestDB >= MAT_VIEWS_SINCE, where materialized views are generally available).
 *   jobs   — an older server: plain rollup tables filled by `INSERT … SELECT … SAMPLE BY` and
 *            old partitions dropped with `ALTER TABLE … DROP PARTITION`, both from maintain(),
 *            which the store maintenance component runs on a schedule, as for DuckDB.
 * Either way retention works a whole day partition at a time.
 */
export const TTL_SINCE = [8, 2, 2] as const;
export const MAT_VIEWS_SINCE = [8, 3, 1] as const;

export type Version = readonly [number, number, number];

export interface RollupNames {
  '1m': string;
  '1h': string;
  state: string;
}

export function rollupNames(t: TableNames): RollupNames {
  return { '1m': `${t.readings}_1m`, '1h': `${t.readings}_1h`, state: `${t.readings}_lifecycle` };
}

/** The server version from `SELECT build()` ("Build Information: QuestDB 8.3.1, JDK …"), or undefined. */
export function parseBuild(build: unknown): Version | undefined {
  if (typeof build !== 'string') return undefined;
  const m = /QuestDB\s+(?:[A-Za-z]+\s+)?(\d+)\.(\d+)\.(\d+)/.exec(build);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function atLeast(v: Version | undefined, min: Version): boolean {
  if (!v) return false;
  for (let i = 0; i < 3; i++) {
    if ((v[i] ?? 0) !== (min[i] ?? 0)) return (v[i] ?? 0) > (min[i] ?? 0);
  }
  return true;
}

export type LifecycleMode = 'server' | 'jobs';

/** The path a server takes: 'server' only when it has both TTL and materialized views. */
export function lifecycleMode(v: Version | undefined): LifecycleMode {
  return atLeast(v, TTL_SINCE) && atLeast(v, MAT_VIEWS_SINCE) ? 'server' : 'jobs';
}

export const BUILD_SQL = 'SELECT build() build';

/** A TTL in whole days (tables are partitioned by day), rounded up so nothing goes early. */
export function ttlDays(ms: number): number {
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new GanzhiError('GANZHI_ERR_CFG_INVALID', 'retention must be a positive number of ms');
  return Math.ceil(ms / DAY_MS);
}

export function setTableTtlSql(table: string, ms: number): string {
  return `ALTER TABLE ${table} SET TTL ${ttlDays(ms)} DAYS`;
}

export function setViewTtlSql(view: string, ms: number): string {
  return `ALTER MATERIALIZED VIEW ${view} SET TTL ${ttlDays(ms)} DAYS`;
}

const ROLLUP_SELECT = `count() n, min(value) min_value, max(value) max_value, avg(value) mean_value, last(value) last_value`;

/** A materialized view of the readings: per (device, metric) and minute or hour, refreshed as rows commit. */
export function createRollupViewSql(t: TableNames, r: RollupNames, res: Resolution, retention: RetentionPolicy): string {
  const ms = res === '1m' ? retention.rollup1mMs : retention.rollup1hMs;
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${r[res]} AS (
  SELECT ts, device_id, metric, ${ROLLUP_SELECT}
  FROM ${t.readings}
  SAMPLE BY ${res}
) PARTITION BY DAY TTL ${ttlDays(ms)} DAYS`;
}

/** The jobs path: a rollup table that re-runs of the same window overwrite (dedup keys). */
export function createRollupTableSql(r: RollupNames, res: Resolution): string {
  return `CREATE TABLE IF NOT EXISTS ${r[res]} (
  ts TIMESTAMP,
  device_id SYMBOL CAPACITY 8192 CACHE,
  metric SYMBOL CAPACITY 512 CACHE,
  n LONG,
  min_value DOUBLE,
  max_value DOUBLE,
  mean_value DOUBLE,
  last_value DOUBLE
) TIMESTAMP(ts) PARTITION BY DAY WAL
DEDUP UPSERT KEYS(ts, device_id, metric)`;
}

/** The jobs path's memory: how far rollups are complete ('rolled_through'), one row per name. */
export function createStateTableSql(r: RollupNames): string {
  return `CREATE TABLE IF NOT EXISTS ${r.state} (
  ts TIMESTAMP,
  name SYMBOL,
  value LONG
) TIMESTAMP(ts) PARTITION BY YEAR WAL
DEDUP UPSERT KEYS(ts, name)`;
}

export function readStateSql(r: RollupNames): string {
  return `SELECT name, value FROM ${r.state} LATEST ON ts PARTITION BY name`;
}

export function writeStateSql(r: RollupNames, name: string, value: number): string {
  if (!Number.isSafeInteger(value)) throw new GanzhiError('GANZHI_ERR_STORE_QUERY', 'state value must be an integer');
  return `INSERT INTO ${r.state} VALUES (${timestampLiteral(0)}, ${quoteLiteral(name)}, ${value})`;
}

/**
 * Jobs path: the buckets of [from, to) at one width recomputed from raw rows (the same
 * aggregates as the views; hours from raw rather than from minutes, because the minute rows just
 * inserted may not be applied from the WAL yet).
 */
export function rollupJobSql(t: TableNames, r: RollupNames, res: Resolution, from: number, to: number): string {
  return `INSERT INTO ${r[res]}
SELECT ts, device_id, metric, ${ROLLUP_SELECT}
FROM ${t.readings}
WHERE ts >= ${timestampLiteral(from)} AND ts < ${timestampLiteral(to)}
SAMPLE BY ${res} ALIGN TO CALENDAR WITH OFFSET '00:00'`;
}

/** Jobs path: partitions that end at or before the cutoff day, counted before they are dropped. */
export function oldPartitionsSql(table: string, cutoff: number): string {
  const day = cutoff - (cutoff % DAY_MS);
  return `SELECT count() n FROM table_partitions('${table}') WHERE maxTimestamp < ${timestampLiteral(day)}`;
}

/** Drops whole day partitions older than the cutoff's day: rows of a partially expired day stay. */
export function dropPartitionsSql(table: string, cutoff: number): string {
  const day = cutoff - (cutoff % DAY_MS);
  return `ALTER TABLE ${table} DROP PARTITION WHERE ts < ${timestampLiteral(day)}`;
}

/** A range segment from a rollup, its buckets regrouped into the query's (columns as rangeSql's). */
export function rollupRangeSql(r: RollupNames, res: Resolution, q: RangeQuery): string {
  rangeSql({ readings: r[res], alertEvents: '' }, q); // the same validation as a raw range
  return `SELECT ts, sum(mean_value * n) / sum(n) v_avg, min(min_value) v_min, max(max_value) v_max, last(last_value) v_last, sum(n) n
FROM ${r[res]}
WHERE device_id = ${quoteLiteral(q.deviceId)} AND metric = ${quoteLiteral(q.metric)}
  AND ts >= ${timestampLiteral(q.from)} AND ts < ${timestampLiteral(q.to)}
SAMPLE BY ${sampleStride(q.bucketMs)} ALIGN TO CALENDAR WITH OFFSET '00:00'`;
}

export function rollupRowsSql(r: RollupNames, q: RollupQuery): string {
  return `SELECT ts, device_id, metric, n, min_value, max_value, mean_value, last_value
FROM ${r[q.resolution]}
WHERE device_id = ${quoteLiteral(q.deviceId)} AND metric = ${quoteLiteral(q.metric)}
  AND ts >= ${timestampLiteral(q.from)} AND ts < ${timestampLiteral(q.to)}
ORDER BY ts`;
}
