import { GanzhiError } from '@ganzhi/schemas';
import type { BucketRow, RangeQuery, Resolution, RetentionPolicy } from '../store';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export const RESOLUTION_MS: Readonly<Record<Resolution, number>> = { '1m': MINUTE_MS, '1h': HOUR_MS };

/** Raw readings 90 days, both rollups 5 years (365 × 5 days). */
export const DEFAULT_RETENTION: Readonly<RetentionPolicy> = {
  rawMs: 90 * DAY_MS,
  rollup1mMs: 1825 * DAY_MS,
  rollup1hMs: 1825 * DAY_MS,
};

export function alignDown(ms: number, step: number): number {
  return ms - (((ms % step) + step) % step);
}

export function alignUp(ms: number, step: number): number {
  const down = alignDown(ms, step);
  return down === ms ? ms : down + step;
}

/**
 * A retention policy is usable when each window is at least a minute and they nest:
 * raw <= 1-minute rollups <= 1-hour rollups (hours are recomputed from minutes, minutes from raw).
 */
export function checkRetention(r: RetentionPolicy): RetentionPolicy {
  for (const [name, v] of Object.entries(r)) {
    if (!Number.isSafeInteger(v) || v < MINUTE_MS) {
      throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `retention ${name} must be a whole number of ms >= 1 minute`);
    }
  }
  if (r.rollup1mMs < r.rawMs || r.rollup1hMs < r.rollup1mMs) {
    throw new GanzhiError('GANZHI_ERR_CFG_INVALID', 'retention must nest: raw <= 1-minute rollups <= 1-hour rollups');
  }
  return r;
}

/** One piece of a range query: rows of [from, to) read from the raw table or one rollup. */
export interface RangeSegment {
  source: 'raw' | Resolution;
  from: number;
  to: number;
}

/**
 * Which table answers which part of a range query — the rule, in one place:
 *   1. The rollup is the coarsest one whose width divides the bucket width: 1 h when
 *      bucketMs is a multiple of an hour, else 1 min when it is a multiple of a minute, else
 *      none (raw rows only). Buckets are epoch-aligned, so each query bucket is a whole number
 *      of rollup buckets and the rollup answers it exactly.
 *   2. The rollup serves the widest part of [from, to) aligned to its width and older than
 *      `rolledThrough` (where the store's rollups are known complete for this device).
 *   3. Raw rows serve the rest: the unaligned head and tail, and everything newer than
 *      `rolledThrough`. A head or tail older than the raw retention is therefore empty.
 * Segments are disjoint and in time order, which is what `mergeBuckets` relies on.
 */
export function planRange(q: RangeQuery, rolledThrough: number): RangeSegment[] {
  const res: Resolution | undefined = q.bucketMs % HOUR_MS === 0 ? '1h' : q.bucketMs % MINUTE_MS === 0 ? '1m' : undefined;
  if (q.to <= q.from) return [];
  if (res === undefined) return [{ source: 'raw', from: q.from, to: q.to }];
  const width = RESOLUTION_MS[res];
  const start = alignUp(q.from, width);
  const through = Number.isFinite(rolledThrough) ? alignDown(Math.max(rolledThrough, 0), width) : Number.POSITIVE_INFINITY;
  const end = Math.min(alignDown(q.to, width), through);
  if (start >= end) return [{ source: 'raw', from: q.from, to: q.to }];
  const out: RangeSegment[] = [];
  if (q.from < start) out.push({ source: 'raw', from: q.from, to: start });
  out.push({ source: res, from: start, to: end });
  if (end < q.to) out.push({ source: 'raw', from: end, to: q.to });
  return out;
}

/**
 * Buckets of disjoint, time-ordered segments merged into one list: counts add, min and max
 * combine, the mean is weighted by count, and `last` comes from the latest segment with rows in
 * the bucket.
 */
export function mergeBuckets(parts: readonly (readonly BucketRow[])[]): BucketRow[] {
  const byTs = new Map<number, BucketRow>();
  for (const part of parts) {
    for (const b of part) {
      const seen = byTs.get(b.ts);
      if (!seen) {
        byTs.set(b.ts, { ...b });
        continue;
      }
      const count = seen.count + b.count;
      byTs.set(b.ts, {
        ts: b.ts,
        avg: (seen.avg * seen.count + b.avg * b.count) / count,
        min: Math.min(seen.min, b.min),
        max: Math.max(seen.max, b.max),
        last: b.last,
        count,
      });
    }
  }
  return [...byTs.values()].sort((a, b) => a.ts - b.ts);
}

/** What one maintenance run of the DuckDB store (or the QuestDB job path) works on. */
export interface MaintenanceWindow {
  /** Minute buckets in [minuteFrom, minuteTo) are recomputed for every device. */
  minuteFrom: number;
  minuteTo: number;
  /** Hour buckets in [hourFrom, hourTo) are recomputed for every device. */
  hourFrom: number;
  hourTo: number;
  /** Readings with ts < rawCutoff are deleted; rollups likewise. */
  rawCutoff: number;
  rollup1mCutoff: number;
  rollup1hCutoff: number;
  /**
   * Late rows (written after their minute was rolled up) are rolled up again from here at the
   * earliest: older minutes lost their raw rows to the previous run's delete.
   */
  lateFloor: number;
}

/**
 * The window of one maintenance run at `now`: minutes from where the last run stopped (or from
 * the raw horizon on the first run) up to the current minute, hours up to the current hour.
 */
export function maintenanceWindow(now: number, retention: RetentionPolicy, rolledThrough: number | undefined, previousRawCutoff: number | undefined): MaintenanceWindow {
  const minuteTo = alignDown(now, MINUTE_MS);
  const rawCutoff = now - retention.rawMs;
  const minuteFrom = Math.min(rolledThrough ?? alignDown(rawCutoff, MINUTE_MS), minuteTo);
  return {
    minuteFrom,
    minuteTo,
    hourFrom: alignDown(minuteFrom, HOUR_MS),
    hourTo: alignDown(minuteTo, HOUR_MS),
    rawCutoff,
    rollup1mCutoff: now - retention.rollup1mMs,
    rollup1hCutoff: now - retention.rollup1hMs,
    lateFloor: alignUp(previousRawCutoff ?? rawCutoff, MINUTE_MS),
  };
}
