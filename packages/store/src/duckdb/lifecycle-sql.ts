import type { RollupQuery, RangeQuery } from '../store';
import type { Sql } from './queries';
import { rangeSql } from './queries';

/**
 * Rollup and lifecycle tables of the DuckDB store (created on open beside readings):
 *
 * readings_1m, readings_1h — one row per (device, metric, bucket start): the aggregates of the raw
 *   rows in [ts, ts + width): n (count), min_value, max_value, mean_value, last_value (the value
 *   with the greatest ts). Minutes are computed from readings, hours from minutes.
 * store_state — name -> BIGINT: 'rolled_through' (minute buckets before it are complete),
 *   'raw_cutoff' (readings before it were deleted by the last run).
 * rollup_dirty — device_id -> since: the oldest ts written for the device after its minute had
 *   been rolled up (late data); the next run rolls that device up again from there.
 */
export const CREATE_LIFECYCLE_TABLES = [
  ...(['readings_1m', 'readings_1h'] as const).map(
    (t) => `CREATE TABLE IF NOT EXISTS ${t} (
    device_id  VARCHAR NOT NULL,
    metric     VARCHAR NOT NULL,
    ts         TIMESTAMP NOT NULL,
    n          BIGINT NOT NULL,
    min_value  DOUBLE NOT NULL,
    max_value  DOUBLE NOT NULL,
    mean_value DOUBLE NOT NULL,
    last_value DOUBLE NOT NULL,
    PRIMARY KEY (device_id, metric, ts)
  )`,
  ),
  `CREATE TABLE IF NOT EXISTS store_state (name VARCHAR PRIMARY KEY, value BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS rollup_dirty (device_id VARCHAR PRIMARY KEY, since BIGINT NOT NULL)`,
] as const;

export const READ_STATE = 'SELECT name, value FROM store_state';
export const READ_DIRTY = 'SELECT device_id, since FROM rollup_dirty';
export const WRITE_STATE = 'INSERT OR REPLACE INTO store_state VALUES ($1, $2)';
export const MARK_DIRTY = `INSERT INTO rollup_dirty VALUES ($1, $2)
  ON CONFLICT (device_id) DO UPDATE SET since = least(since, excluded.since)`;
export const CLEAR_DIRTY = 'DELETE FROM rollup_dirty';

function deviceFilter(device: string | undefined, params: Sql['params']): string {
  if (device === undefined) return '';
  params['device'] = device;
  return ' AND device_id = $device';
}

/** Minute buckets of [from, to) (minute-aligned) recomputed from raw rows, for one device or all. */
export function rollupMinutesSql(from: number, to: number, device?: string): Sql {
  const params: Sql['params'] = { from, to };
  const text = `INSERT OR REPLACE INTO readings_1m
    SELECT device_id, metric, make_timestamp_ms(epoch_ms(ts) - epoch_ms(ts) % 60000) AS bucket,
      count(*), min(value), max(value), avg(value), arg_max(value, ts)
    FROM readings
    WHERE ts >= make_timestamp_ms($from::BIGINT) AND ts < make_timestamp_ms($to::BIGINT)${deviceFilter(device, params)}
    GROUP BY device_id, metric, bucket`;
  return { text, params };
}

/** Hour buckets of [from, to) (hour-aligned) recomputed from minute rollups. */
export function rollupHoursSql(from: number, to: number, device?: string): Sql {
  const params: Sql['params'] = { from, to };
  const text = `INSERT OR REPLACE INTO readings_1h
    SELECT device_id, metric, make_timestamp_ms(epoch_ms(ts) - epoch_ms(ts) % 3600000) AS bucket,
      sum(n), min(min_value), max(max_value), sum(mean_value * n) / sum(n), arg_max(last_value, ts)
    FROM readings_1m
    WHERE ts >= make_timestamp_ms($from::BIGINT) AND ts < make_timestamp_ms($to::BIGINT)${deviceFilter(device, params)}
    GROUP BY device_id, metric, bucket`;
  return { text, params };
}

export function deleteBeforeSql(table: 'readings' | 'readings_1m' | 'readings_1h', cutoff: number): Sql {
  return { text: `DELETE FROM ${table} WHERE ts < make_timestamp_ms($cutoff::BIGINT)`, params: { cutoff } };
}

const TABLE = { '1m': 'readings_1m', '1h': 'readings_1h' } as const;

/** A range segment answered from a rollup: its buckets regrouped into the query's buckets. */
export function rollupRangeSql(resolution: '1m' | '1h', q: RangeQuery): Sql {
  rangeSql(q); // the same validation as a raw range
  const text = `SELECT epoch_ms(ts) - epoch_ms(ts) % $bucket::BIGINT AS bucket,
      sum(mean_value * n) / sum(n) AS avg, min(min_value) AS min, max(max_value) AS max,
      arg_max(last_value, ts) AS last, sum(n) AS count
    FROM ${TABLE[resolution]}
    WHERE device_id = $device AND metric = $metric
      AND ts >= make_timestamp_ms($from::BIGINT) AND ts < make_timestamp_ms($to::BIGINT)
    GROUP BY bucket
    ORDER BY bucket`;
  return { text, params: { device: q.deviceId, metric: q.metric, from: q.from, to: q.to, bucket: q.bucketMs } };
}

export function rollupRowsSql(q: RollupQuery): Sql {
  rangeSql({ ...q, bucketMs: 1 });
  const text = `SELECT device_id, metric, epoch_ms(ts) AS ts, n, min_value, max_value, mean_value, last_value
    FROM ${TABLE[q.resolution]}
    WHERE device_id = $device AND metric = $metric
      AND ts >= make_timestamp_ms($from::BIGINT) AND ts < make_timestamp_ms($to::BIGINT)
    ORDER BY ts`;
  return { text, params: { device: q.deviceId, metric: q.metric, from: q.from, to: q.to } };
}
