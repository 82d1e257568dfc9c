import { createAlertsCore } from '@ganzhi/alerts';
import { loadConfig } from '@ganzhi/config';
import { closeAll, openBus, runMain } from '@ganzhi/runtime';
import { buildAlertsService } from './build';
import { AlertsConfigSchema } from './config';

/** The alert manager alone (distributed mode): instances share the consumer group `alerts`. */
runMain('alerts', async (logger, { metrics }) => {
  const config = loadConfig(AlertsConfigSchema, process.env);
  const bus = await openBus(config, logger, 'alerts', metrics);
  const alerts = buildAlertsService(
    { bus, core: createAlertsCore(), logger, metrics },
    { sweepCron: config.GANZHI_ALERTS_SWEEP_CRON, instanceId: config.GANZHI_INSTANCE_ID },
  );
  await alerts.start();
  return { close: () => closeAll([bus, alerts]), stats: () => alerts.stats() };
});
