import { createAlertsCore } from '@ganzhi/alerts';
import { loadConfig } from '@ganzhi/config';
import { join } from 'node:path';
import { closeAll, openAuditKeyring, openBus, openRegistry, runMain } from '@ganzhi/runtime';
import { buildAlertsService } from './build';
import { AlertsConfigSchema } from './config';

/** The alert manager alone (distributed mode): instances share the consumer group `alerts`. */
runMain('alerts', async (logger, { metrics }) => {
  const config = loadConfig(AlertsConfigSchema, process.env);
  const registry = await openRegistry(config, logger);
  const keyring = await openAuditKeyring(config, logger);
  const bus = await openBus(config, logger, 'alerts', metrics);
  const alerts = buildAlertsService(
    { bus, core: createAlertsCore({}, { keyring }), logger, metrics, registry, keyring },
    {
      sweepCron: config.GANZHI_ALERTS_SWEEP_CRON,
      instanceId: config.GANZHI_INSTANCE_ID,
      checkpointCron: config.GANZHI_AUDIT_CHECKPOINT_CRON,
      checkpointFile: join(config.GANZHI_DATA_DIR, 'audit', `checkpoints.${config.GANZHI_INSTANCE_ID}.ndjson`),
    },
  );
  await alerts.start();
  return { close: () => closeAll([registry, bus, alerts]), stats: () => alerts.stats() };
});
