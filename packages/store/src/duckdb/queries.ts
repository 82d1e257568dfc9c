import { GanzhiError } from '@ganzhi/schemas';
import type { AlertHistoryQuery, LatestQuery, RangeQuery } from '../store';
import type { SqlParam } from './rows';

/** A parameterised statement: `$name` placeholders and their values. */
export interface Sql {
  text: string;
  params: Record<string, SqlParam>;
}

function invalid(detail: string): GanzhiError {
  return new GanzhiError('GANZHI_ERR_STORE_QUERY', detail);
}

function checkEpochMs(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw invalid(`${name} must be a non-negative integer (ms epoch)`);
}

export function latestSql(q: LatestQuery = {}): Sql {
  const where: string[] = [];
  const params: Record<string, SqlParam> = {};
  if (q.deviceId !== undefined) {
    where.push('device_id = $device');
    params['device'] = q.deviceId;
  }
  if (q.kind !== undefined) {
    where.push('kind = $kind');
    params['kind'] = q.kind;
  }
  if (q.metric !== undefined) {
    where.push('metric = $metric');
    params['metric'] = q.metric;
  }
  const text = `SELECT device_id, kind, site, metric, epoch_ms(ts) AS ts, value, unit, quality
    FROM readings ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    QUALIFY row_number() OVER (PARTITION BY device_id, metric ORDER BY ts DESC) = 1
    ORDER BY device_id, metric`;
  return { text, params };
}

/** Epoch-aligned buckets (start = ts - ts % bucketMs) over [from, to); empty buckets are absent. */
export function rangeSql(q: RangeQuery): Sql {
  checkEpochMs('from', q.from);
  checkEpochMs('to', q.to);
  if (!Number.isSafeInteger(q.bucketMs) || q.bucketMs <= 0) throw invalid('bucketMs must be a positive integer');
  const text = `SELECT epoch_ms(ts) - epoch_ms(ts) % $bucket::BIGINT AS bucket,
      avg(value) AS avg, min(value) AS min, max(value) AS max,
      arg_max(value, ts) AS last, count(*) AS count
    FROM readings
    WHERE device_id = $device AND metric = $metric
      AND ts >= make_timestamp_ms($from::BIGINT) AND ts < make_timestamp_ms($to::BIGINT)
    GROUP BY bucket
    ORDER BY bucket`;
  return {
    text,
    params: { device: q.deviceId, metric: q.metric, from: q.from, to: q.to, bucket: q.bucketMs },
  };
}

/**
 * Ordered by event time, then alertId, then seq. With a limit, the newest `limit` events are
 * kept, still returned oldest first.
 */
/** Every column of alert_events, timestamps as epoch ms (for audit verification). */
export const ALERT_AUDIT_COLUMNS = `change, alert_id, seq, device_id, kind, site, rule_id, level, status, condition, event_type, actor,
  epoch_ms(event_at) AS event_at_ms, reason, from_level, value, threshold, message, assignee, epoch_ms(opened_at) AS opened_at_ms`;

export function alertHistorySql(q: AlertHistoryQuery = {}, columns = 'change'): Sql {
  const where: string[] = [];
  const params: Record<string, SqlParam> = {};
  if (q.alertId !== undefined) {
    where.push('alert_id = $alert');
    params['alert'] = q.alertId;
  }
  if (q.deviceId !== undefined) {
    where.push('device_id = $device');
    params['device'] = q.deviceId;
  }
  if (q.from !== undefined) {
    checkEpochMs('from', q.from);
    where.push('event_at >= make_timestamp_ms($from::BIGINT)');
    params['from'] = q.from;
  }
  if (q.to !== undefined) {
    checkEpochMs('to', q.to);
    where.push('event_at < make_timestamp_ms($to::BIGINT)');
    params['to'] = q.to;
  }
  const filtered = `FROM alert_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
  if (q.limit === undefined) {
    return { text: `SELECT ${columns} ${filtered} ORDER BY event_at, alert_id, seq`, params };
  }
  if (!Number.isSafeInteger(q.limit) || q.limit < 0) throw invalid('limit must be a non-negative integer');
  params['limit'] = q.limit;
  const text = `SELECT ${columns} FROM (
      SELECT * ${filtered}
      ORDER BY event_at DESC, alert_id DESC, seq DESC LIMIT $limit::BIGINT
    ) ORDER BY event_at, alert_id, seq`;
  return { text, params };
}

export function countSql(deviceId?: string): Sql {
  if (deviceId === undefined) return { text: 'SELECT count(*) AS n FROM readings', params: {} };
  return { text: 'SELECT count(*) AS n FROM readings WHERE device_id = $device', params: { device: deviceId } };
}
