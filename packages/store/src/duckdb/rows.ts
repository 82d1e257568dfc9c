import type { AlertChange, AlertColumns, DeviceKind, Reading, StoredAlertEvent } from '@ganzhi/schemas';
import type { BucketRow, ReadingRow, RollupRow } from '../store';

/**
 * What the DuckDB store keeps of a Reading (its `readings` columns). Every internal write path takes
 * this, so the store thread can write readings rebuilt from their packed form (thread/packed-readings.ts).
 */
export type StoredReading = Pick<Reading, 'deviceId' | 'kind' | 'site' | 'ts' | 'metrics'>;

/** One (device, metric, ts) value as it goes into the staging table. */
export interface StagedRow {
  deviceId: string;
  kind: string;
  site: string | null;
  metric: string;
  ts: number;
  value: number;
  unit: string;
  quality: string;
}

/**
 * Flattens readings to one row per metric. Rows with the same (device, metric, ts) inside the
 * batch collapse to the last occurrence, as they would if written one after the other.
 */
/** Rows (one per metric) the readings become, before in-batch duplicates collapse. */
export function rowCount(readings: readonly StoredReading[]): number {
  let n = 0;
  for (const r of readings) for (const m in r.metrics) if (r.metrics[m] !== undefined) n++;
  return n;
}

export function flattenReadings(readings: readonly StoredReading[]): StagedRow[] {
  const byKey = new Map<string, StagedRow>();
  for (const r of readings) {
    for (const metric in r.metrics) {
      const m = r.metrics[metric];
      if (m === undefined) continue;
      byKey.set(`${r.deviceId}\u0000${metric}\u0000${r.ts}`, {
        deviceId: r.deviceId,
        kind: r.kind,
        site: r.site ?? null,
        metric,
        ts: r.ts,
        value: m.value,
        unit: m.unit,
        quality: m.quality,
      });
    }
  }
  return [...byKey.values()];
}

/** The last occurrence of each (alertId, seq) in the batch. */
export function dedupeAlertChanges(changes: readonly AlertChange[]): AlertChange[] {
  const byKey = new Map<string, AlertChange>();
  for (const c of changes) byKey.set(`${c.alertId}\u0000${c.seq}`, c);
  return [...byKey.values()];
}

export type SqlParam = string | number | null;

/** Values for one alert_events row, in the column order of ALERT_INSERT_ROW. */
export function alertParams(c: AlertChange): SqlParam[] {
  return [
    c.alertId,
    c.seq,
    c.deviceId,
    c.kind,
    c.site ?? null,
    c.ruleId,
    c.level,
    c.status,
    c.condition,
    c.event.type,
    c.event.actor,
    c.event.at,
    c.event.reason ?? null,
    c.event.fromLevel ?? null,
    c.value ?? null,
    c.threshold ?? null,
    c.message ?? null,
    c.assignee ?? null,
    c.openedAt,
    JSON.stringify(c),
  ];
}

/** Placeholders for one alert_events row whose parameters start at $first. */
export function alertRowPlaceholders(first: number): string {
  const p = (i: number): string => `$${first + i}`;
  const cols: string[] = [];
  for (let i = 0; i < 20; i++) {
    if (i === 11 || i === 18) cols.push(`make_timestamp_ms(${p(i)}::BIGINT)`); // event_at, opened_at
    else if (i === 1) cols.push(`${p(i)}::INTEGER`);
    else if (i === 14 || i === 15) cols.push(`${p(i)}::DOUBLE`);
    else if (i === 19) cols.push(`${p(i)}::JSON`);
    else cols.push(`${p(i)}::VARCHAR`);
  }
  return `(${cols.join(', ')})`;
}

/** DuckDB returns BIGINT as bigint and DOUBLE as number; the store's shapes use numbers. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new TypeError(`expected a number, got ${typeof v}`);
}

function toStr(v: unknown): string {
  if (typeof v === 'string') return v;
  throw new TypeError(`expected a string, got ${typeof v}`);
}

export function toReadingRow(o: Record<string, unknown>): ReadingRow {
  return {
    deviceId: toStr(o['device_id']),
    kind: toStr(o['kind']) as DeviceKind,
    site: o['site'] === null ? null : toStr(o['site']),
    metric: toStr(o['metric']),
    ts: toNumber(o['ts']),
    value: toNumber(o['value']),
    unit: toStr(o['unit']),
    quality: toStr(o['quality']),
  };
}

export function toBucketRow(o: Record<string, unknown>): BucketRow {
  return {
    ts: toNumber(o['bucket']),
    avg: toNumber(o['avg']),
    min: toNumber(o['min']),
    max: toNumber(o['max']),
    last: toNumber(o['last']),
    count: toNumber(o['count']),
  };
}

/** alert_events.change holds the change exactly as it was written. */
export function toAlertChange(o: Record<string, unknown>): AlertChange {
  return JSON.parse(toStr(o['change'])) as AlertChange;
}

export function toRollupRow(r: Record<string, unknown>): RollupRow {
  return {
    deviceId: toStr(r['device_id']),
    metric: toStr(r['metric']),
    ts: toNumber(r['ts']),
    count: toNumber(r['n']),
    min: toNumber(r['min_value']),
    max: toNumber(r['max_value']),
    mean: toNumber(r['mean_value']),
    last: toNumber(r['last_value']),
  };
}

const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : toStr(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : toNumber(v));

/** A row of ALERT_AUDIT_COLUMNS: the change JSON and every flattened column as stored. */
export function toStoredAlertEvent(o: Record<string, unknown>): StoredAlertEvent {
  const columns: AlertColumns = {
    alertId: toStr(o['alert_id']),
    seq: toNumber(o['seq']),
    deviceId: toStr(o['device_id']),
    kind: toStr(o['kind']),
    site: strOrNull(o['site']),
    ruleId: toStr(o['rule_id']),
    level: toStr(o['level']),
    status: toStr(o['status']),
    condition: toStr(o['condition']),
    eventType: toStr(o['event_type']),
    actor: toStr(o['actor']),
    eventAt: toNumber(o['event_at_ms']),
    reason: strOrNull(o['reason']),
    fromLevel: strOrNull(o['from_level']),
    value: numOrNull(o['value']),
    threshold: numOrNull(o['threshold']),
    message: strOrNull(o['message']),
    assignee: strOrNull(o['assignee']),
    openedAt: toNumber(o['opened_at_ms']),
  };
  return { change: toAlertChange(o), columns };
}
