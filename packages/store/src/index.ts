export type {
  Store,
  ReadingRow,
  LatestQuery,
  RangeQuery,
  BucketRow,
  AlertHistoryQuery,
  Aggregate,
} from './store';
