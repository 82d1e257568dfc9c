import { createAlertsCore } from '@ganzhi/alerts';
import { loadConfig } from '@ganzhi/config';
import { join } from 'node:path';
import { closeAll, openAuditKeyring, openBus, openRegistry, runMain } from '@ganzhi/runtime';
import { buildAlertsService } from './build';
import { AlertsConfigSchema } from './config';

/** The alert manager alone (distributed mode): instances share the consumer group `alerts`. */
runMain(
  'alerts',
  async (logger) => {
    const config = loadConfig(AlertsConfigSchema, process.env);
    const registry = await openRegistry(config, logger);
    const keyring = await openAuditKeyring(config, logger);
    const bus = await openBus(config, logger, 'alerts');
    const alerts = buildAlertsService(
      { bus, core: createAlertsCore({}, { keyring }), logger, registry, keyring },
      {
        sweepCron: config.GANZHI_ALERTS_SWEEP_CRON,
        instanceId: config.GANZHI_INSTANCE_ID,
        checkpointCron: config.GANZHI_AUDIT_CHECKPOINT_CRON,
        checkpointFile: join(config.GANZHI_DATA_DIR, 'audit', `checkpoints.${config.GANZHI_INSTANCE_ID}.ndjson`),
      },
    );
    await alerts.start();
    return { close: () => closeAll([bus, alerts]), stats: () => alerts.stats() };
  },
  { healthPort: Number(process.env.GANZHI_HEALTH_PORT ?? 0) },
);
