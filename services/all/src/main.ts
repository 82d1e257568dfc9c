import { createAlertsCore } from '@ganzhi/alerts';
import { instrumentEngine } from '@ganzhi/metrics';
import { readTls } from '@ganzhi/api';
import { createRuleEngine, loadRuleFiles } from '@ganzhi/rules';
import { buildDiskWatch, buildStoreMaintenance, closeAll, diskWatchConfig, openAuditKeyring, openBus, openRegistry, openStore, registryFileOf, runMain } from '@ganzhi/runtime';
import { loadPipelineConfig } from './config';
import { buildPipeline } from './pipeline';

/** `npm start`: the whole pipeline in one process, on embedded defaults. */
runMain('ganzhi', async (logger, { metrics, check }) => {
  const config = loadPipelineConfig(process.env);
  const registry = await openRegistry(config, logger);
  const keyring = await openAuditKeyring(config, logger);
  const ruleFiles = await loadRuleFiles(config.GANZHI_RULES_DIR);
  const engine = instrumentEngine(createRuleEngine(ruleFiles), metrics);
  const bus = await openBus(config, logger, config.GANZHI_GATEWAY_ID, metrics);
  const store = await openStore(config, logger, metrics);
  check('store', () => store.probe());
  const pipeline = await buildPipeline(
    config,
    {
      bus,
      store,
      registry,
      engine,
      ruleFiles,
      alerts: createAlertsCore({}, { keyring }),
      logger,
      metrics,
      keyring,
      disk: buildDiskWatch(diskWatchConfig(config), { logger }),
      maintenance: buildStoreMaintenance({ cron: config.GANZHI_STORE_MAINTENANCE_CRON }, { store, logger }),
    },
    {
      rulesSweepCron: config.GANZHI_RULES_SWEEP_CRON,
      alertsSweepCron: config.GANZHI_ALERTS_SWEEP_CRON,
      checkpointCron: config.GANZHI_AUDIT_CHECKPOINT_CRON,
      dataDir: config.GANZHI_DATA_DIR,
      silenceMaxMinutes: config.GANZHI_SILENCE_MAX_MINUTES,
      httpPort: config.GANZHI_HTTP_PORT,
      notify: { settings: config, env: process.env },
      ...(config.GANZHI_GATEWAY_THREAD
        ? {
            gatewayThread: {
              registryFile: registryFileOf(config),
              // devices can no longer connect: exit, so that a supervisor starts the process again
              onExit: (err: Error) => {
                logger.fatal({ err }, 'the gateway thread ended: exiting');
                process.exit(1);
              },
            },
          }
        : {}),
      api: {
        ...(readTls(config) ? { tls: readTls(config)! } : {}),
        ...(config.GANZHI_HTTP_SESSION_SECRET ? { sessionSecret: config.GANZHI_HTTP_SESSION_SECRET } : {}),
        sessionTtlMs: config.GANZHI_HTTP_SESSION_TTL_MIN * 60_000,
        ...(config.GANZHI_CONSOLE_MQTT_URL ? { mqtt: { url: config.GANZHI_CONSOLE_MQTT_URL } } : {}),
      },
    },
  );
  await pipeline.start();
  logger.info({ dataDir: config.GANZHI_DATA_DIR, bus: config.GANZHI_BUS, store: config.GANZHI_STORE, devices: registry.devices().length, rules: engine.ruleIds.length }, 'ganzhi running');
  return { close: () => closeAll([registry, store, bus, pipeline]), stats: () => pipeline.stats() };
});
