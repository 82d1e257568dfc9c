import type { Logger } from '@ganzhi/log';
import { isGanzhiError } from '@ganzhi/schemas';
import { HOUR_MS, MINUTE_MS, alignDown, maintenanceWindow } from '../lifecycle/plan';
import type { MaintenanceReport, RetentionPolicy } from '../store';
import type { ExecClient } from './http';
import {
  BUILD_SQL,
  createRollupTableSql,
  createRollupViewSql,
  createStateTableSql,
  dropPartitionsSql,
  lifecycleMode,
  oldPartitionsSql,
  parseBuild,
  readStateSql,
  rollupJobSql,
  rollupNames,
  setTableTtlSql,
  setViewTtlSql,
  writeStateSql,
  type LifecycleMode,
  type RollupNames,
} from './lifecycle-sql';
import { parseTimestamp, toCount } from './parse';
import type { TableNames } from './sql';

export interface QuestDbLifecycle {
  readonly mode: LifecycleMode;
  readonly names: RollupNames;
  /** Minute buckets before this instant are complete in the rollups (Infinity: the server keeps them). */
  rolledThrough(): Promise<number>;
  maintain(now: number): Promise<MaintenanceReport>;
}

/** On the jobs path each run rolls the last hour up again, so rows up to an hour late are counted. */
const JOBS_LATE_MS = HOUR_MS;

/**
 * Reads the server's version and sets rollups and retention up on the path it supports (see
 * lifecycle-sql.ts), logging which. A server that refuses the TTL or view DDL falls back to jobs.
 */
export async function openQuestDbLifecycle(exec: ExecClient, t: TableNames, retention: RetentionPolicy, log?: Logger): Promise<QuestDbLifecycle> {
  const names = rollupNames(t);
  const [row] = await exec.query(BUILD_SQL);
  const version = parseBuild(row?.['build']);
  let mode = lifecycleMode(version);
  if (mode === 'server') {
    try {
      await exec.query(setTableTtlSql(t.readings, retention.rawMs));
      for (const res of ['1m', '1h'] as const) {
        await exec.query(createRollupViewSql(t, names, res, retention));
        await exec.query(setViewTtlSql(names[res], res === '1m' ? retention.rollup1mMs : retention.rollup1hMs));
      }
    } catch (err) {
      if (!isGanzhiError(err, 'GANZHI_ERR_STORE_QUERY')) throw err;
      log?.warn({ err, version: version?.join('.') }, 'QuestDB refused TTL or materialized views: rollups and retention run as jobs');
      mode = 'jobs';
    }
  }
  if (mode === 'jobs') {
    for (const res of ['1m', '1h'] as const) await exec.query(createRollupTableSql(names, res));
    await exec.query(createStateTableSql(names));
  }
  log?.info(
    { version: version?.join('.') ?? 'unknown', mode },
    mode === 'server'
      ? 'QuestDB lifecycle: TTL and materialized views (SAMPLE BY 1m, 1h) run on the server'
      : 'QuestDB lifecycle: this server lacks TTL or materialized views; rollups and retention run as scheduled jobs',
  );

  async function through(): Promise<number | undefined> {
    const rows = await exec.query(readStateSql(names));
    const hit = rows.find((r) => r['name'] === 'rolled_through');
    return hit === undefined ? undefined : Number(hit['value']);
  }

  async function dropOld(table: string, cutoff: number): Promise<number> {
    const n = toCount(await exec.query(oldPartitionsSql(table, cutoff)));
    if (n > 0) await exec.query(dropPartitionsSql(table, cutoff));
    return n;
  }

  return {
    mode,
    names,
    async rolledThrough() {
      return mode === 'server' ? Number.POSITIVE_INFINITY : ((await through()) ?? 0);
    },
    async maintain(now) {
      if (mode === 'server') {
        const w = maintenanceWindow(now, retention, undefined, undefined);
        return { mode, rolledThrough: { '1m': w.minuteTo, '1h': w.hourTo }, rawDeleted: -1, rollup1mDeleted: -1, rollup1hDeleted: -1, checkpointed: false };
      }
      const last = await through();
      let from: number | undefined = last === undefined ? undefined : last - JOBS_LATE_MS;
      if (from === undefined) {
        const [first] = await exec.query(`SELECT min(ts) t FROM ${t.readings}`);
        from = first?.['t'] == null ? undefined : alignDown(parseTimestamp(first['t']), MINUTE_MS);
      }
      const w = maintenanceWindow(now, retention, from, undefined);
      if (w.minuteFrom < w.minuteTo) await exec.query(rollupJobSql(t, names, '1m', w.minuteFrom, w.minuteTo));
      if (w.hourFrom < w.hourTo) await exec.query(rollupJobSql(t, names, '1h', w.hourFrom, w.hourTo));
      const report = {
        rawDeleted: await dropOld(t.readings, w.rawCutoff),
        rollup1mDeleted: await dropOld(names['1m'], w.rollup1mCutoff),
        rollup1hDeleted: await dropOld(names['1h'], w.rollup1hCutoff),
      };
      await exec.query(writeStateSql(names, 'rolled_through', w.minuteTo));
      // Figures are partitions dropped, not rows: QuestDB drops whole days.
      return { mode, rolledThrough: { '1m': w.minuteTo, '1h': w.hourTo }, ...report, checkpointed: false };
    },
  };
}

