import { DuckDBTimestampValue, type DuckDBAppender } from '@duckdb/node-api';
import { flattenReadings, type StagedRow, type StoredReading } from './rows';

/**
 * Readings into DuckDB's Appender, row by row in the column order of `readings` (schema.ts):
 * device_id, kind, site, metric, ts, value, unit, quality. No intermediate row objects: values go
 * from the Reading to the appender. The appender converts strings to UTF-8 itself (a lone
 * surrogate becomes U+FFFD) and takes NaN and ±Infinity as doubles.
 */

/** True when some (device, ts) appears twice: then rows collapse to the last occurrence first. */
function hasRepeats(readings: readonly StoredReading[]): boolean {
  if (readings.length < 2) return false;
  const seen = new Set<string>();
  for (const r of readings) {
    const key = `${r.deviceId}\u0000${r.ts}`;
    if (seen.has(key)) return true;
    seen.add(key);
  }
  return false;
}

function micros(ts: number): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(ts) * 1000n);
}

function appendRow(a: DuckDBAppender, r: StagedRow, ts: DuckDBTimestampValue): void {
  a.appendVarchar(r.deviceId);
  a.appendVarchar(r.kind);
  if (r.site === null) a.appendNull();
  else a.appendVarchar(r.site);
  a.appendVarchar(r.metric);
  a.appendTimestamp(ts);
  a.appendDouble(r.value);
  a.appendVarchar(r.unit);
  a.appendVarchar(r.quality);
  a.endRow();
}

/**
 * Appends one row per metric of `readings`, handing them to DuckDB (`flushSync`) every
 * `chunkRows` rows and at the end, and awaiting `between()` after each chunk but the last, so
 * the calling thread is never held for more than one chunk. Inside an open transaction the
 * flushes commit nothing: the caller's COMMIT does. A (device, metric, ts) that repeats keeps
 * its last occurrence, as writing the readings one after the other would. Returns the rows.
 */
export async function appendReadings(a: DuckDBAppender, readings: readonly StoredReading[], chunkRows: number, between: () => Promise<void>): Promise<number> {
  let rows = 0;
  let pending = 0;
  if (hasRepeats(readings)) {
    for (const r of flattenReadings(readings)) {
      appendRow(a, r, micros(r.ts));
      rows++;
      if (++pending >= chunkRows) {
        a.flushSync();
        pending = 0;
        await between();
      }
    }
  } else {
    for (const r of readings) {
      let ts: DuckDBTimestampValue | undefined;
      for (const metric in r.metrics) {
        const m = r.metrics[metric];
        if (m === undefined) continue;
        ts ??= micros(r.ts);
        a.appendVarchar(r.deviceId);
        a.appendVarchar(r.kind);
        if (r.site === undefined) a.appendNull();
        else a.appendVarchar(r.site);
        a.appendVarchar(metric);
        a.appendTimestamp(ts);
        a.appendDouble(m.value);
        a.appendVarchar(m.unit);
        a.appendVarchar(m.quality);
        a.endRow();
        rows++;
        if (++pending >= chunkRows) {
          a.flushSync();
          pending = 0;
          await between();
        }
      }
    }
  }
  if (pending > 0) a.flushSync();
  return rows;
}
