import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../lifecycle/plan';
import {
  atLeast,
  createRollupViewSql,
  dropPartitionsSql,
  lifecycleMode,
  oldPartitionsSql,
  parseBuild,
  rollupJobSql,
  rollupNames,
  rollupRangeSql,
  setTableTtlSql,
  ttlDays,
  writeStateSql,
} from './lifecycle-sql';
import { tableNames } from './sql';

const t = tableNames('gz_');
const r = rollupNames(t);

describe('QuestDB version and lifecycle path', () => {
  it('reads the version from build()', () => {
    expect(parseBuild('Build Information: QuestDB 8.3.1, JDK 17.0.14, Commit Hash 0123abc')).toEqual([8, 3, 1]);
    expect(parseBuild('Build Information: QuestDB Enterprise 3.0.1, JDK 17')).toEqual([3, 0, 1]);
    expect(parseBuild('something else')).toBeUndefined();
    expect(parseBuild(null)).toBeUndefined();
  });

  it('takes the server path only with both TTL and materialized views, else scheduled jobs', () => {
    expect(lifecycleMode([9, 0, 0])).toBe('server');
    expect(lifecycleMode([8, 3, 1])).toBe('server');
    expect(lifecycleMode([8, 3, 0])).toBe('jobs');
    expect(lifecycleMode([8, 2, 3])).toBe('jobs');
    expect(lifecycleMode([7, 4, 0])).toBe('jobs');
    expect(lifecycleMode(undefined)).toBe('jobs');
    expect(atLeast([10, 0, 0], [8, 3, 1])).toBe(true);
    expect(atLeast([8, 2, 9], [8, 3, 1])).toBe(false);
  });
});

describe('QuestDB lifecycle SQL', () => {
  it('sets TTLs in whole days, rounded up', () => {
    expect(ttlDays(90 * DAY_MS)).toBe(90);
    expect(ttlDays(36 * 3_600_000)).toBe(2);
    expect(setTableTtlSql(t.readings, 90 * DAY_MS)).toBe('ALTER TABLE gz_readings SET TTL 90 DAYS');
    expect(() => ttlDays(0)).toThrow();
  });

  it('creates a materialized view per rollup width with its own TTL', () => {
    const sql = createRollupViewSql(t, r, '1h', { rawMs: DAY_MS, rollup1mMs: 2 * DAY_MS, rollup1hMs: 1825 * DAY_MS });
    expect(sql).toContain('CREATE MATERIALIZED VIEW IF NOT EXISTS gz_readings_1h');
    expect(sql).toContain('count() n, min(value) min_value, max(value) max_value, avg(value) mean_value, last(value) last_value');
    expect(sql).toContain('FROM gz_readings');
    expect(sql).toContain('SAMPLE BY 1h');
    expect(sql).toContain('PARTITION BY DAY TTL 1825 DAYS');
  });

  it('rolls a window up from raw rows on the jobs path, epoch-aligned', () => {
    const sql = rollupJobSql(t, r, '1m', 0, 120_000);
    expect(sql).toContain('INSERT INTO gz_readings_1m');
    expect(sql).toContain("WHERE ts >= '1970-01-01T00:00:00.000000Z' AND ts < '1970-01-01T00:02:00.000000Z'");
    expect(sql).toContain("SAMPLE BY 1m ALIGN TO CALENDAR WITH OFFSET '00:00'");
  });

  it('drops only partitions of whole days before the cutoff', () => {
    const cutoff = 3 * DAY_MS + 5_000;
    expect(oldPartitionsSql('gz_readings', cutoff)).toContain("maxTimestamp < '1970-01-04T00:00:00.000000Z'");
    expect(dropPartitionsSql('gz_readings', cutoff)).toBe("ALTER TABLE gz_readings DROP PARTITION WHERE ts < '1970-01-04T00:00:00.000000Z'");
  });

  it('regroups rollup rows into the query buckets and keeps the state as an upsert', () => {
    const sql = rollupRangeSql(r, '1h', { deviceId: "it's", metric: 'm', from: 0, to: DAY_MS, bucketMs: DAY_MS });
    expect(sql).toContain('sum(mean_value * n) / sum(n) v_avg');
    expect(sql).toContain("device_id = 'it''s'");
    expect(sql).toContain('SAMPLE BY 1d');
    expect(writeStateSql(r, 'rolled_through', 60_000)).toBe("INSERT INTO gz_readings_lifecycle VALUES ('1970-01-01T00:00:00.000000Z', 'rolled_through', 60000)");
    expect(() => writeStateSql(r, 'x', 1.5)).toThrow();
  });
});
