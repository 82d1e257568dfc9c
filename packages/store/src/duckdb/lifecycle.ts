import type { DuckDBConnection } from '@duckdb/node-api';
import { HOUR_MS, MINUTE_MS, alignDown, maintenanceWindow } from '../lifecycle/plan';
import type { MaintenanceReport, RetentionPolicy } from '../store';
import {
  CLEAR_DIRTY,
  MARK_DIRTY,
  READ_DIRTY,
  READ_STATE,
  WRITE_STATE,
  deleteBeforeSql,
  rollupHoursSql,
  rollupMinutesSql,
} from './lifecycle-sql';
import type { Sql } from './queries';

const EARLIEST = 'SELECT epoch_ms(min(ts)) AS t FROM readings';
import { toNumber, type StoredReading } from './rows';

/**
 * The DuckDB store's rollups and retention, run by the store's own writer connection (so in
 * line with writes, never beside one). State lives in the file: a kill at any point leaves
 * either the old or the new state, since each run is one transaction.
 */
export interface DuckDbLifecycle {
  /** Minute buckets of this device before the instant returned are complete in readings_1m. */
  rolledThrough(deviceId: string): number;
  /** Before a readings write: records devices that wrote behind the rollups (crash-safe). */
  markLate(conn: DuckDBConnection, readings: readonly StoredReading[]): Promise<void>;
  maintain(conn: DuckDBConnection, now: number): Promise<MaintenanceReport>;
}

async function run(conn: DuckDBConnection, sql: Sql): Promise<number> {
  const result = await conn.run(sql.text, sql.params);
  return result.rowsChanged;
}

export async function openDuckDbLifecycle(conn: DuckDBConnection, retention: RetentionPolicy): Promise<DuckDbLifecycle> {
  const state = new Map<string, number>();
  for (const row of (await conn.runAndReadAll(READ_STATE)).getRowObjectsJS()) state.set(String(row['name']), toNumber(row['value']));
  const dirty = new Map<string, number>();
  for (const row of (await conn.runAndReadAll(READ_DIRTY)).getRowObjectsJS()) dirty.set(String(row['device_id']), toNumber(row['since']));

  const through = () => state.get('rolled_through');

  return {
    rolledThrough(deviceId) {
      const t = through();
      if (t === undefined) return 0;
      const since = dirty.get(deviceId);
      return since === undefined ? t : Math.min(t, alignDown(since, MINUTE_MS));
    },

    async markLate(conn, readings) {
      const t = through();
      if (t === undefined) return;
      let late: Map<string, number> | undefined;
      for (const r of readings) {
        if (r.ts >= t) continue;
        late ??= new Map();
        const seen = late.get(r.deviceId);
        if (seen === undefined || r.ts < seen) late.set(r.deviceId, r.ts);
      }
      if (!late) return;
      for (const [device, since] of late) {
        const known = dirty.get(device);
        if (known !== undefined && known <= since) continue;
        await conn.run(MARK_DIRTY, [device, since]);
        dirty.set(device, since);
      }
    },

    async maintain(conn, now) {
      // The first run rolls up every raw row already there (a store that ran without rollups).
      let first: number | undefined;
      if (through() === undefined) {
        const [row] = (await conn.runAndReadAll(EARLIEST)).getRowObjectsJS();
        if (row?.['t'] !== null && row?.['t'] !== undefined) first = alignDown(toNumber(row['t']), MINUTE_MS);
      }
      const w = maintenanceWindow(now, retention, through() ?? first, state.get('raw_cutoff'));
      const report = { rawDeleted: 0, rollup1mDeleted: 0, rollup1hDeleted: 0 };
      await conn.run('BEGIN TRANSACTION');
      try {
        if (w.minuteFrom < w.minuteTo) await run(conn, rollupMinutesSql(w.minuteFrom, w.minuteTo));
        for (const [device, since] of dirty) {
          const from = Math.max(alignDown(since, MINUTE_MS), w.lateFloor);
          if (from >= w.minuteFrom) continue;
          await run(conn, rollupMinutesSql(from, w.minuteFrom, device));
          const hourFrom = alignDown(from, HOUR_MS);
          if (hourFrom < w.hourFrom) await run(conn, rollupHoursSql(hourFrom, w.hourFrom, device));
        }
        if (w.hourFrom < w.hourTo) await run(conn, rollupHoursSql(w.hourFrom, w.hourTo));
        report.rawDeleted = await run(conn, deleteBeforeSql('readings', w.rawCutoff));
        report.rollup1mDeleted = await run(conn, deleteBeforeSql('readings_1m', w.rollup1mCutoff));
        report.rollup1hDeleted = await run(conn, deleteBeforeSql('readings_1h', w.rollup1hCutoff));
        await conn.run(WRITE_STATE, ['rolled_through', w.minuteTo]);
        await conn.run(WRITE_STATE, ['raw_cutoff', w.rawCutoff]);
        await conn.run(CLEAR_DIRTY);
        await conn.run('COMMIT');
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
      state.set('rolled_through', w.minuteTo);
      state.set('raw_cutoff', w.rawCutoff);
      dirty.clear();
      const deleted = report.rawDeleted + report.rollup1mDeleted + report.rollup1hDeleted;
      // Freed blocks are reused only after a checkpoint; DuckDB truncates the file when the free
      // blocks are at its end. The run is committed either way: a checkpoint that cannot run now
      // (DuckDB's own automatic one follows when its WAL grows) is not a failed run.
      let checkpointed = false;
      if (deleted > 0) {
        try {
          await conn.run('CHECKPOINT');
          checkpointed = true;
        } catch {
          checkpointed = false;
        }
      }
      return { mode: 'jobs', rolledThrough: { '1m': w.minuteTo, '1h': w.hourTo }, ...report, checkpointed };
    },
  };
}
