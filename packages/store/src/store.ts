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

/** Rollup widths: per device and metric, 1 minute and 1 hour. */
export type Resolution = '1m' | '1h';

/** How long each table keeps its rows, in ms of device time before `now`. */
export interface RetentionPolicy {
  /** Raw readings (default 90 days). */
  rawMs: number;
  /** 1-minute rollups (default 5 years); at least rawMs. */
  rollup1mMs: number;
  /** 1-hour rollups (default 5 years); at least rollup1mMs. */
  rollup1hMs: number;
}

/** One rollup bucket of one (device, metric): epoch-aligned start, and aggregates of its raw rows. */
export interface RollupRow {
  deviceId: string;
  metric: string;
  ts: number;
  count: number;
  min: number;
  max: number;
  mean: number;
  last: number;
}

export interface RollupQuery {
  resolution: Resolution;
  deviceId: string;
  metric: string;
  /** Inclusive start, ms epoch. */
  from: number;
  /** Exclusive end, ms epoch. */
  to: number;
}

/** What one maintenance run did (figures are rows; -1 where the backend cannot tell). */
export interface MaintenanceReport {
  /** How rollups and retention are carried out: 'jobs' (this process), or 'server' (QuestDB TTL and materialized views). */
  mode: 'jobs' | 'server';
  /** Minute and hour buckets are complete before these instants. */
  rolledThrough: { '1m': number; '1h': number };
  rawDeleted: number;
  rollup1mDeleted: number;
  rollup1hDeleted: number;
  /** The file was checkpointed after a delete, so its freed blocks are reused. */
  checkpointed: boolean;
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
  /**
   * Buckets over [from, to). The store answers each part from the rollup that fits (see
   * `planRange`): a whole number of rollup buckets, already rolled up, from the rollup; the
   * rest from raw rows. The answer is the same either way while the raw rows exist.
   */
  range(query: RangeQuery): Promise<BucketRow[]>;
  /** Rollup rows as stored, ordered by ts (for operators and the contract suite). */
  rollups(query: RollupQuery): Promise<RollupRow[]>;
  /**
   * Rolls readings up and retires rows past the retention policy, as of `now` (ms epoch).
   * Idempotent; alert events are never removed. Stores whose server does this by itself
   * (QuestDB TTL and materialized views) only nudge it here.
   */
  maintain(now: number): Promise<MaintenanceReport>;
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
