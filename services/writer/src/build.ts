import type { Bus, Subscription } from '@ganzhi/bus';
import type { Logger } from '@ganzhi/log';
import type { Store } from '@ganzhi/store';

export interface WriterDeps {
  bus: Bus;
  store: Store;
  logger: Logger;
}

export interface Writer {
  start(): Promise<void>;
  close(): Promise<void>;
  stats(): Readonly<{ readings: number; alertEvents: number; batches: number }>;
}

/**
 * The time-series writer: readings and alert changes into the store. A batch is acknowledged
 * only after the store's write resolved (durable); the store's writes are idempotent, so a batch
 * redelivered after a crash produces the same rows.
 */
export function buildWriter(deps: WriterDeps, options: { group?: string; maxBatch?: number } = {}): Writer {
  const stats = { readings: 0, alertEvents: 0, batches: 0 };
  let sub: Subscription | undefined;
  const log = deps.logger.child({ component: 'writer' });
  return {
    stats: () => stats,
    async start() {
      sub = await deps.bus.subscribe(
        options.group ?? 'writer',
        {
          'ganzhi.readings.v1': async (batch) => {
            await deps.store.writeReadings(batch.map((d) => d.value));
            stats.readings += batch.length;
            stats.batches++;
          },
          'ganzhi.alerts.v1': async (batch) => {
            await deps.store.writeAlertEvents(batch.map((d) => d.value));
            stats.alertEvents += batch.length;
          },
        },
        // the store's write groups linger to make one commit of many calls: fetch on meanwhile
        { maxBatch: options.maxBatch ?? 2000, prefetch: true },
      );
      log.info('writer started');
    },
    async close() {
      await sub?.close();
    },
  };
}
