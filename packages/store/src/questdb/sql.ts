import { GanzhiError } from '@ganzhi/schemas';
import type { AlertHistoryQuery, LatestQuery, RangeQuery } from '../store';

/**
 * SQL text for QuestDB's `/exec` endpoint. `/exec` has no bind parameters, so every value is
 * rendered as a literal here, and only here: strings through `quoteLiteral`, instants through
 * `timestampLiteral`, numbers after an integer check. Identifiers come from `tableNames`, whose
 * prefix is validated to `[A-Za-z0-9_]`.
 */

export interface TableNames {
  readings: string;
  alertEvents: string;
}

const PREFIX_RE = /^[A-Za-z0-9_]{0,64}$/;

export function tableNames(prefix = ''): TableNames {
  if (!PREFIX_RE.test(prefix)) {
    throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `tablePrefix must match ${PREFIX_RE.source}`);
  }
  return { readings: `${prefix}readings`, alertEvents: `${prefix}alert_events` };
}

function invalid(detail: string): GanzhiError {
  return new GanzhiError('GANZHI_ERR_STORE_QUERY', detail);
}

/** A QuestDB string literal: single quotes, an embedded quote doubled (backslash is not special). */
export function quoteLiteral(value: string): string {
  if (value.includes('\u0000')) throw invalid('string literal contains NUL');
  return `'${value.replaceAll("'", "''")}'`;
}

function checkEpochMs(name: string, v: number): void {
  // 253402300799999 = 9999-12-31T23:59:59.999Z, the last instant with a 4-digit ISO year
  if (!Number.isSafeInteger(v) || v < 0 || v > 253_402_300_799_999) {
    throw invalid(`${name} must be a non-negative integer (ms epoch)`);
  }
}

/** A TIMESTAMP literal in QuestDB's native ISO form with microseconds, e.g. '2024-01-01T00:00:00.000000Z'. */
export function timestampLiteral(ms: number): string {
  checkEpochMs('timestamp', ms);
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ
  return `'${iso.slice(0, -1)}000Z'`;
}

/**
 * The readings table: one narrow row per (device, metric, instant). DEDUP UPSERT KEYS makes a
 * re-delivered row replace the stored one, so at-least-once delivery still yields one row.
 */
export function createReadingsSql(t: TableNames): string {
  return `CREATE TABLE IF NOT EXISTS ${t.readings} (
  ts TIMESTAMP,
  device_id SYMBOL CAPACITY 8192 CACHE,
  kind SYMBOL CAPACITY 16 CACHE,
  site SYMBOL CAPACITY 1024 CACHE,
  metric SYMBOL CAPACITY 512 CACHE,
  value DOUBLE,
  unit SYMBOL CAPACITY 256 CACHE,
  quality SYMBOL CAPACITY 16 CACHE
) TIMESTAMP(ts) PARTITION BY DAY WAL
DEDUP UPSERT KEYS(ts, device_id, metric)`;
}

/**
 * The alert_events table: one row per alert state change, keyed by (event time, alert id, seq).
 * The change is flattened into columns for operators and Grafana, and kept whole in change_json,
 * which is what alertHistory returns (the same round trip as the DuckDB adapter).
 */
export function createAlertEventsSql(t: TableNames): string {
  return `CREATE TABLE IF NOT EXISTS ${t.alertEvents} (
  ts TIMESTAMP,
  alert_id VARCHAR,
  seq LONG,
  device_id SYMBOL CAPACITY 8192 CACHE,
  kind SYMBOL CAPACITY 16 CACHE,
  site SYMBOL CAPACITY 1024 CACHE,
  rule_id SYMBOL CAPACITY 1024 CACHE,
  alert_level SYMBOL CAPACITY 16 CACHE,
  status SYMBOL CAPACITY 16 CACHE,
  condition SYMBOL CAPACITY 16 CACHE,
  event_type SYMBOL CAPACITY 32 CACHE,
  from_level SYMBOL CAPACITY 16 CACHE,
  actor VARCHAR,
  reason VARCHAR,
  value DOUBLE,
  threshold DOUBLE,
  message VARCHAR,
  assignee VARCHAR,
  opened_at TIMESTAMP,
  change_json VARCHAR
) TIMESTAMP(ts) PARTITION BY DAY WAL
DEDUP UPSERT KEYS(ts, alert_id, seq)`;
}

export function dropTableSql(table: string): string {
  return `DROP TABLE IF EXISTS ${table}`;
}

const READING_COLUMNS = 'ts, device_id, kind, site, metric, value, unit, quality';

/** Latest row per (device, metric); the caller sorts by deviceId then metric. */
export function latestSql(t: TableNames, q: LatestQuery = {}): string {
  const where: string[] = [];
  if (q.deviceId !== undefined) where.push(`device_id = ${quoteLiteral(q.deviceId)}`);
  if (q.kind !== undefined) where.push(`kind = ${quoteLiteral(q.kind)}`);
  if (q.metric !== undefined) where.push(`metric = ${quoteLiteral(q.metric)}`);
  const filter = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  return `SELECT ${READING_COLUMNS} FROM ${t.readings}${filter} LATEST ON ts PARTITION BY device_id, metric`;
}

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['T', 1],
];
const MAX_STRIDE = 2_147_483_647;

/** A SAMPLE BY stride for a bucket width in ms, in the largest unit that divides it (90000 -> '90s'). */
export function sampleStride(bucketMs: number): string {
  if (!Number.isSafeInteger(bucketMs) || bucketMs <= 0) throw invalid('bucketMs must be a positive integer');
  for (const [unit, size] of UNITS) {
    if (bucketMs % size === 0 && bucketMs / size <= MAX_STRIDE) return `${bucketMs / size}${unit}`;
  }
  throw invalid(`bucketMs ${bucketMs} cannot be expressed as a SAMPLE BY stride`);
}

/**
 * Buckets over [from, to). `ALIGN TO CALENDAR WITH OFFSET '00:00'` floors each row's time
 * modulo the stride from the Unix epoch (fixed units only: d/h/m/s/T, never w/M/y), which is the
 * Store contract's `ts - ts % bucketMs`. Without an explicit offset an older engine path aligns
 * to the first observation instead. Empty buckets are not filled.
 */
export function rangeSql(t: TableNames, q: RangeQuery): string {
  checkEpochMs('from', q.from);
  checkEpochMs('to', q.to);
  const stride = sampleStride(q.bucketMs);
  return `SELECT ts, avg(value) v_avg, min(value) v_min, max(value) v_max, last(value) v_last, count() n
FROM ${t.readings}
WHERE device_id = ${quoteLiteral(q.deviceId)} AND metric = ${quoteLiteral(q.metric)}
  AND ts >= ${timestampLiteral(q.from)} AND ts < ${timestampLiteral(q.to)}
SAMPLE BY ${stride} ALIGN TO CALENDAR WITH OFFSET '00:00'`;
}

/**
 * Alert changes by event time, then alertId, then seq. With a limit, the newest `limit` are
 * selected (descending) and the caller restores ascending order, as the DuckDB adapter does.
 */
/** Every column of alert_events (for audit verification). */
export const ALERT_AUDIT_COLUMNS = 'ts, alert_id, seq, device_id, kind, site, rule_id, alert_level, status, condition, event_type, from_level, actor, reason, value, threshold, message, assignee, opened_at, change_json';

export function alertHistorySql(t: TableNames, q: AlertHistoryQuery = {}, columns = 'ts, alert_id, seq, change_json'): string {
  const where: string[] = [];
  if (q.alertId !== undefined) where.push(`alert_id = ${quoteLiteral(q.alertId)}`);
  if (q.deviceId !== undefined) where.push(`device_id = ${quoteLiteral(q.deviceId)}`);
  if (q.from !== undefined) where.push(`ts >= ${timestampLiteral(q.from)}`);
  if (q.to !== undefined) where.push(`ts < ${timestampLiteral(q.to)}`);
  const filter = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  const base = `SELECT ${columns} FROM ${t.alertEvents}${filter}`;
  if (q.limit === undefined) return `${base} ORDER BY ts, alert_id, seq`;
  if (!Number.isSafeInteger(q.limit) || q.limit < 0) throw invalid('limit must be a non-negative integer');
  return `${base} ORDER BY ts DESC, alert_id DESC, seq DESC LIMIT ${q.limit}`;
}

export function countSql(t: TableNames, deviceId?: string): string {
  const filter = deviceId === undefined ? '' : ` WHERE device_id = ${quoteLiteral(deviceId)}`;
  return `SELECT count() n FROM ${t.readings}${filter}`;
}

/** WAL progress of the given tables: visible once writerTxn reaches the sequencerTxn seen after a commit. */
export function walStatusSql(tables: readonly string[]): string {
  if (tables.length === 0) throw invalid('no tables');
  const names = tables.map((n) => `name = ${quoteLiteral(n)}`).join(' OR ');
  return `SELECT name, suspended, writerTxn, sequencerTxn FROM wal_tables() WHERE ${names}`;
}
