import { GanzhiError, type AlertChange, type DeviceKind, type StoredAlertEvent } from '@ganzhi/schemas';
import type { BucketRow, ReadingRow, RollupRow } from '../store';

/**
 * Decoding of `/exec` JSON results: `{ query, columns: [{name, type}], dataset: [[...]], count }`
 * on success, `{ query, error, position }` on a bad statement, `{ ddl: 'OK' }` for DDL.
 * TIMESTAMP values arrive as ISO strings ('2024-01-01T00:00:00.000000Z'), LONG and DOUBLE as
 * numbers, SYMBOL/VARCHAR as strings, NULL (and NaN) as null.
 */

export type ExecRecord = Record<string, unknown>;

function bad(detail: string): GanzhiError {
  return new GanzhiError('GANZHI_ERR_STORE_QUERY', `unexpected /exec response: ${detail}`);
}

/** Rows of a SELECT response as records keyed by column name. */
export function execRecords(body: unknown): ExecRecord[] {
  if (typeof body !== 'object' || body === null) throw bad('not an object');
  const b = body as { columns?: unknown; dataset?: unknown; error?: unknown };
  if (typeof b.error === 'string') throw new GanzhiError('GANZHI_ERR_STORE_QUERY', b.error);
  if (!Array.isArray(b.columns) || !Array.isArray(b.dataset)) throw bad('no columns/dataset');
  const names = b.columns.map((c: unknown) => {
    const n = (c as { name?: unknown } | null)?.name;
    if (typeof n !== 'string') throw bad('column without a name');
    return n;
  });
  return b.dataset.map((row: unknown) => {
    if (!Array.isArray(row) || row.length !== names.length) throw bad('row does not match columns');
    const rec: ExecRecord = {};
    for (let i = 0; i < names.length; i++) rec[names[i] as string] = row[i];
    return rec;
  });
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/** A TIMESTAMP cell (ISO with up to nanoseconds, or epoch micros as a number) to ms epoch, truncated. */
export function parseTimestamp(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.floor(v / 1000);
  if (typeof v !== 'string') throw bad(`timestamp is ${v === null ? 'null' : typeof v}`);
  const m = ISO_RE.exec(v);
  if (!m) throw bad(`timestamp '${v}'`);
  const [, y, mo, d, h, mi, s, frac = ''] = m;
  const ms = Number((frac + '000').slice(0, 3));
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
}

function num(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v); // quoteLargeNum
  throw bad(`${what} is ${v === null ? 'null' : typeof v}`);
}

function str(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  throw bad(`${what} is ${v === null ? 'null' : typeof v}`);
}

export function toReadingRow(r: ExecRecord): ReadingRow {
  return {
    deviceId: str(r['device_id'], 'device_id'),
    kind: str(r['kind'], 'kind') as DeviceKind,
    site: r['site'] === null || r['site'] === undefined ? null : str(r['site'], 'site'),
    metric: str(r['metric'], 'metric'),
    ts: parseTimestamp(r['ts']),
    value: num(r['value'], 'value'),
    unit: str(r['unit'], 'unit'),
    quality: str(r['quality'], 'quality'),
  };
}

export function toBucketRow(r: ExecRecord): BucketRow {
  return {
    ts: parseTimestamp(r['ts']),
    avg: num(r['v_avg'], 'avg'),
    min: num(r['v_min'], 'min'),
    max: num(r['v_max'], 'max'),
    last: num(r['v_last'], 'last'),
    count: num(r['n'], 'count'),
  };
}

export function toRollupRow(r: ExecRecord): RollupRow {
  return {
    deviceId: str(r['device_id'], 'device_id'),
    metric: str(r['metric'], 'metric'),
    ts: parseTimestamp(r['ts']),
    count: num(r['n'], 'count'),
    min: num(r['min_value'], 'min'),
    max: num(r['max_value'], 'max'),
    mean: num(r['mean_value'], 'mean'),
    last: num(r['last_value'], 'last'),
  };
}

/** change_json holds the AlertChange exactly as written. */
export function toAlertChange(r: ExecRecord): AlertChange {
  return JSON.parse(str(r['change_json'], 'change_json')) as AlertChange;
}

const strOrNull = (v: unknown, what: string): string | null => (v === null || v === undefined ? null : str(v, what));
const numOrNull = (v: unknown, what: string): number | null => (v === null || v === undefined ? null : num(v, what));

/** A row of ALERT_AUDIT_COLUMNS: the change JSON and every flattened column as stored. */
export function toStoredAlertEvent(r: ExecRecord): StoredAlertEvent {
  return {
    change: toAlertChange(r),
    columns: {
      alertId: str(r['alert_id'], 'alert_id'),
      seq: num(r['seq'], 'seq'),
      deviceId: str(r['device_id'], 'device_id'),
      kind: str(r['kind'], 'kind'),
      site: strOrNull(r['site'], 'site'),
      ruleId: str(r['rule_id'], 'rule_id'),
      level: str(r['alert_level'], 'alert_level'),
      status: str(r['status'], 'status'),
      condition: str(r['condition'], 'condition'),
      eventType: str(r['event_type'], 'event_type'),
      actor: str(r['actor'], 'actor'),
      eventAt: parseTimestamp(r['ts']),
      reason: strOrNull(r['reason'], 'reason'),
      fromLevel: strOrNull(r['from_level'], 'from_level'),
      value: numOrNull(r['value'], 'value'),
      threshold: numOrNull(r['threshold'], 'threshold'),
      message: strOrNull(r['message'], 'message'),
      assignee: strOrNull(r['assignee'], 'assignee'),
      openedAt: parseTimestamp(r['opened_at']),
    },
  };
}

export function toCount(records: readonly ExecRecord[]): number {
  const first = records[0];
  return first === undefined ? 0 : num(first['n'], 'count');
}

export interface WalStatus {
  name: string;
  suspended: boolean;
  writerTxn: number;
  sequencerTxn: number;
}

export function toWalStatus(r: ExecRecord): WalStatus {
  return {
    name: str(r['name'], 'name'),
    suspended: r['suspended'] === true,
    writerTxn: num(r['writerTxn'], 'writerTxn'),
    sequencerTxn: num(r['sequencerTxn'], 'sequencerTxn'),
  };
}

/** Code-unit order, the same order the contract expects from `ORDER BY` on ASCII ids. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortLatest(rows: ReadingRow[]): ReadingRow[] {
  return rows.sort((a, b) => cmp(a.deviceId, b.deviceId) || cmp(a.metric, b.metric));
}

export function sortBuckets(rows: BucketRow[]): BucketRow[] {
  return rows.sort((a, b) => a.ts - b.ts);
}

/** Event time, then alertId, then seq: newest last. */
export function sortAlertChanges(changes: AlertChange[]): AlertChange[] {
  return changes.sort((a, b) => a.event.at - b.event.at || cmp(a.alertId, b.alertId) || a.seq - b.seq);
}
