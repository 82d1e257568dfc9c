import { hostname } from 'node:os';
import { z } from 'zod';
import { createAlertsCore } from '@ganzhi/alerts';
import { loadConfig } from '@ganzhi/config';
import { RuntimeConfigSchema, checkRuntime, closeAll, openBus, runMain } from '@ganzhi/runtime';
import { buildAlertsService } from './build';

const AlertsConfigSchema = RuntimeConfigSchema.extend({
  GANZHI_ALERTS_SWEEP_CRON: z.string().default('*/15 * * * * *').describe('node-cron schedule of the escalation sweep'),
  GANZHI_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).default(hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64) || 'alerts'),
}).superRefine(checkRuntime);

/** The alert manager alone (distributed mode): instances share the consumer group `alerts`. */
runMain(
  'alerts',
  async (logger) => {
    const config = loadConfig(AlertsConfigSchema, process.env);
    const bus = await openBus(config, logger, 'alerts');
    const alerts = buildAlertsService(
      { bus, core: createAlertsCore(), logger },
      { sweepCron: config.GANZHI_ALERTS_SWEEP_CRON, instanceId: config.GANZHI_INSTANCE_ID },
    );
    await alerts.start();
    return { close: () => closeAll([bus, alerts]), stats: () => alerts.stats() };
  },
  { healthPort: Number(process.env.GANZHI_HEALTH_PORT ?? 0) },
);
