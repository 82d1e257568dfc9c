export type {
  Store,
  ReadingRow,
  LatestQuery,
  RangeQuery,
  BucketRow,
  AlertHistoryQuery,
  Aggregate,
  Resolution,
  RetentionPolicy,
  RollupRow,
  RollupQuery,
  MaintenanceReport,
} from './store';
export { DEFAULT_RETENTION, checkRetention, planRange, mergeBuckets, RESOLUTION_MS } from './lifecycle/plan';
export type { RangeSegment } from './lifecycle/plan';
export { createDuckDbStore } from './duckdb/duckdb-store';
export type { DuckDbStoreOptions } from './duckdb/duckdb-store';
export { createThreadedDuckDbStore, STORE_THREAD } from './duckdb/thread/threaded-store';
// The contract suite (./contract) imports vitest, so it is not re-exported here: adapters' tests
// import it directly.
export * from './questdb/index';
