import type { AlertChange, Reading } from '@ganzhi/schemas';
import type { TableNames } from './sql';

/**
 * ILP rows as plain data: what the adapter hands to `@questdb/nodejs-client`'s Sender. Building
 * them is pure (and unit-tested); `writeRow` is the only code that touches the Sender. ILP needs
 * every symbol before any other column, which the shape enforces.
 */
export type IlpColumn =
  | { type: 'float'; name: string; value: number }
  | { type: 'int'; name: string; value: number }
  | { type: 'string'; name: string; value: string }
  | { type: 'timestampMs'; name: string; value: number };

export interface IlpFieldsRow {
  table: string;
  /** SYMBOL columns; an absent optional value is simply left out (NULL). */
  symbols: ReadonlyArray<readonly [string, string]>;
  columns: readonly IlpColumn[];
  /** Designated timestamp, ms epoch. */
  tsMs: number;
}

/**
 * One (reading, metric) of the `readings` table, written straight from the Reading: symbols
 * device_id, kind, site (left out when absent), metric, unit, quality; DOUBLE value; the
 * reading's ts. One small object per row, where a fields row takes a dozen (the hot path).
 */
export interface IlpReadingRow {
  table: string;
  reading: Reading;
  metric: string;
}

export type IlpRow = IlpFieldsRow | IlpReadingRow;

/** The subset of the Sender the adapter uses (structural, so a real Sender fits). */
export interface IlpSink {
  table(name: string): IlpSink;
  symbol(name: string, value: unknown): IlpSink;
  floatColumn(name: string, value: number): IlpSink;
  intColumn(name: string, value: number): IlpSink;
  stringColumn(name: string, value: string): IlpSink;
  timestampColumn(name: string, value: number | bigint, unit?: 'ns' | 'us' | 'ms'): IlpSink;
  at(timestamp: number | bigint, unit?: 'ns' | 'us' | 'ms'): Promise<void>;
}

/**
 * One row per (device, metric): the narrow `readings` layout. Within one call a repeated
 * (device, metric, ts) keeps only its last occurrence, as if written one after the other.
 */
export function readingRows(t: TableNames, readings: readonly Reading[]): IlpReadingRow[] {
  const table = t.readings;
  // Common case first: no two readings share (device, ts), so no (device, metric, ts) repeats.
  const instants = new Set<string>();
  for (const r of readings) instants.add(`${r.deviceId}\u0000${r.ts}`);
  if (instants.size === readings.length) {
    const rows: IlpReadingRow[] = [];
    for (const r of readings) for (const metric in r.metrics) if (r.metrics[metric] !== undefined) rows.push({ table, reading: r, metric });
    return rows;
  }
  const byKey = new Map<string, IlpReadingRow>();
  for (const r of readings) {
    for (const metric in r.metrics) {
      if (r.metrics[metric] !== undefined) byKey.set(`${r.deviceId}\u0000${metric}\u0000${r.ts}`, { table, reading: r, metric });
    }
  }
  return [...byKey.values()];
}

/** One row per alert change; ts is the event time, the change is also kept whole as JSON. */
export function alertRows(t: TableNames, changes: readonly AlertChange[]): IlpFieldsRow[] {
  const byKey = new Map<string, IlpFieldsRow>();
  for (const c of changes) {
    const symbols: Array<readonly [string, string]> = [
      ['device_id', c.deviceId],
      ['kind', c.kind],
    ];
    if (c.site !== undefined) symbols.push(['site', c.site]);
    symbols.push(
      ['rule_id', c.ruleId],
      ['alert_level', c.level],
      ['status', c.status],
      ['condition', c.condition],
      ['event_type', c.event.type],
    );
    if (c.event.fromLevel !== undefined) symbols.push(['from_level', c.event.fromLevel]);
    const columns: IlpColumn[] = [
      { type: 'string', name: 'alert_id', value: c.alertId },
      { type: 'int', name: 'seq', value: c.seq },
      { type: 'string', name: 'actor', value: c.event.actor },
    ];
    if (c.event.reason !== undefined) columns.push({ type: 'string', name: 'reason', value: c.event.reason });
    if (c.value !== undefined) columns.push({ type: 'float', name: 'value', value: c.value });
    if (c.threshold !== undefined) columns.push({ type: 'float', name: 'threshold', value: c.threshold });
    if (c.message !== undefined) columns.push({ type: 'string', name: 'message', value: c.message });
    if (c.assignee !== undefined) columns.push({ type: 'string', name: 'assignee', value: c.assignee });
    columns.push(
      { type: 'timestampMs', name: 'opened_at', value: c.openedAt },
      { type: 'string', name: 'change_json', value: JSON.stringify(c) },
    );
    const key = `${c.alertId}\u0000${c.seq}`;
    byKey.set(key, { table: t.alertEvents, symbols, columns, tsMs: c.event.at });
  }
  return [...byKey.values()];
}

/** Appends one row to the sink's buffer (no I/O while auto-flush is off). */
export async function writeRow(sink: IlpSink, row: IlpRow): Promise<void> {
  if ('reading' in row) {
    const r = row.reading;
    const m = r.metrics[row.metric];
    if (m === undefined) return;
    sink.table(row.table).symbol('device_id', r.deviceId).symbol('kind', r.kind);
    if (r.site !== undefined) sink.symbol('site', r.site);
    sink.symbol('metric', row.metric).symbol('unit', m.unit).symbol('quality', m.quality).floatColumn('value', m.value);
    await sink.at(r.ts, 'ms');
    return;
  }
  sink.table(row.table);
  for (const [name, value] of row.symbols) sink.symbol(name, value);
  for (const col of row.columns) {
    switch (col.type) {
      case 'float':
        sink.floatColumn(col.name, col.value);
        break;
      case 'int':
        sink.intColumn(col.name, col.value);
        break;
      case 'string':
        sink.stringColumn(col.name, col.value);
        break;
      case 'timestampMs':
        sink.timestampColumn(col.name, col.value, 'ms');
        break;
      default: {
        const never: never = col;
        throw new TypeError(`unknown ILP column ${(never as { type: string }).type}`);
      }
    }
  }
  await sink.at(row.tsMs, 'ms');
}

/** Names of the tables a batch of rows touches, in first-seen order. */
export function tablesOf(rows: readonly IlpRow[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) seen.add(r.table);
  return [...seen];
}
