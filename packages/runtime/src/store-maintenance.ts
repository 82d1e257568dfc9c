import cron from 'node-cron';
import type { Logger } from '@ganzhi/log';
import type { MaintenanceReport, Store } from '@ganzhi/store';

export interface StoreMaintenanceConfig {
  /** node-cron schedule of the rollup and retention run; '' disables the schedule. */
  cron: string;
}

export interface StoreMaintenanceDeps {
  store: Store;
  logger: Logger;
  /** The clock retention is measured against (default Date.now; the soak bench runs device time). */
  now?: () => number;
}

export interface StoreMaintenance {
  start(): Promise<void>;
  close(): Promise<void>;
  /** One run now (the schedule calls this; runs never overlap). */
  runOnce(): Promise<MaintenanceReport>;
  stats(): Readonly<{ runs: number; failures: number; last?: MaintenanceReport }>;
}

/**
 * Runs the store's rollups and retention (`Store.maintain`) on a node-cron schedule: started by
 * services/writer and the all-in-one process, next to the writer stage. A failed run is logged
 * and retried by the next tick; alerts and the audit trail are never touched by it.
 */
export function buildStoreMaintenance(config: StoreMaintenanceConfig, deps: StoreMaintenanceDeps): StoreMaintenance {
  const log = deps.logger.child({ component: 'store-maintenance' });
  const now = deps.now ?? Date.now;
  const stats: { runs: number; failures: number; last?: MaintenanceReport } = { runs: 0, failures: 0 };
  let task: ReturnType<typeof cron.schedule> | undefined;
  let running: Promise<MaintenanceReport> | undefined;

  function runOnce(): Promise<MaintenanceReport> {
    running ??= (async () => {
      try {
        const report = await deps.store.maintain(now());
        stats.runs++;
        stats.last = report;
        return report;
      } catch (err) {
        stats.failures++;
        throw err;
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  return {
    async start() {
      if (!config.cron) return;
      if (!cron.validate(config.cron)) throw new Error(`invalid cron expression ${config.cron}`);
      task = cron.schedule(
        config.cron,
        () => {
          runOnce().catch((err: unknown) => log.error({ err }, 'store maintenance failed; the next run retries'));
        },
        { noOverlap: true },
      );
      log.info({ cron: config.cron }, 'store maintenance scheduled');
    },
    async close() {
      await task?.stop();
      task = undefined;
      await running?.catch(() => undefined);
    },
    runOnce,
    stats: () => stats,
  };
}
