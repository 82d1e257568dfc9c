export type {
  Store,
  ReadingRow,
  LatestQuery,
  RangeQuery,
  BucketRow,
  AlertHistoryQuery,
  Aggregate,
} from './store';
export { createDuckDbStore } from './duckdb/duckdb-store';
export type { DuckDbStoreOptions } from './duckdb/duckdb-store';
// The contract suite (./contract) imports vitest, so it is not re-exported here: adapters' tests
// import it directly.
export * from './questdb/index';
