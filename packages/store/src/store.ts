import type { AlertChange, DeviceKind, Reading, StoredAlertEvent } from '@ganzhi/schemas';

/** One stored value: a (device, metric, ts) row. */
export interface ReadingRow {
  deviceId: string;
  kind: DeviceKind;
  site: string | null;
  metric: string;
  ts: number;
  value: number;
  unit: string;
  quality: string;
}

export interface LatestQuery {
  deviceId?: string;
  kind?: DeviceKind;
  metric?: string;
}

export type Aggregate = 'avg' | 'min' | 'max' | 'last' | 'count';

export interface RangeQuery {
  deviceId: string;
  metric: string;
  /** Inclusive start, ms epoch. */
  from: number;
  /** Exclusive end, ms epoch. */
  to: number;
  /** Bucket width in ms; buckets are aligned to the Unix epoch (bucket start = ts - ts % bucketMs). */
  bucketMs: number;
}

/** A time bucket with its aggregates; buckets with no rows are omitted. Ordered by ts. */
export interface BucketRow {
  ts: number;
  avg: number;
  min: number;
  max: number;
  last: number;
  count: number;
}

export interface AlertHistoryQuery {
  alertId?: string;
  deviceId?: string;
  /** Inclusive start on event.at, ms epoch. */
  from?: number;
  /** Exclusive end on event.at, ms epoch. */
  to?: number;
  /** Keep only the newest `limit` changes (still returned oldest first). */
  limit?: number;
}

/**
 * The time-series store. Writes are idempotent: the same (device, metric, ts) is one row (the
 * last write wins), and the same (alertId, seq) is one alert event. A write resolves only once
 * the rows are durable and visible to queries.
 */
export interface Store {
  writeReadings(readings: readonly Reading[]): Promise<void>;
  writeAlertEvents(changes: readonly AlertChange[]): Promise<void>;
  /** The most recent row per (device, metric), filtered; ordered by deviceId then metric. */
  latest(query?: LatestQuery): Promise<ReadingRow[]>;
  range(query: RangeQuery): Promise<BucketRow[]>;
  /** Alert changes ordered by event time then (alertId, seq); newest last. */
  alertHistory(query?: AlertHistoryQuery): Promise<AlertChange[]>;
  /**
   * The same events with every flattened column as stored, for audit verification (which
   * compares each column with the signed change).
   */
  alertEvents(query?: AlertHistoryQuery): Promise<StoredAlertEvent[]>;
  /** Number of reading rows (optionally for one device): used by tests and operators. */
  countReadings(deviceId?: string): Promise<number>;
  close(): Promise<void>;
}
