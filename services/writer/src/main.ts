import { loadConfig } from '@ganzhi/config';
import { RuntimeConfigSchema, buildStoreMaintenance, checkRuntime, closeAll, openBus, openStore, runMain } from '@ganzhi/runtime';
import { buildWriter } from './build';

/** The time-series writer alone (distributed mode): instances share the consumer group `writer`. */
runMain('writer', async (logger, { metrics, check }) => {
  const config = loadConfig(RuntimeConfigSchema.superRefine(checkRuntime), process.env);
  const bus = await openBus(config, logger, 'writer', metrics);
  const store = await openStore(config, logger, metrics);
  check('store', () => store.probe());
  const writer = buildWriter({ bus, store, logger });
  await writer.start();
  // Rollups and retention run beside the writer; several writers may run it, it is idempotent.
  const maintenance = buildStoreMaintenance({ cron: config.GANZHI_STORE_MAINTENANCE_CRON }, { store, logger });
  await maintenance.start();
  return { close: () => closeAll([store, bus, writer, maintenance]), stats: () => ({ ...writer.stats(), storeMaintenance: maintenance.stats() }) };
});
