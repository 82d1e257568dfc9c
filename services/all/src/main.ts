import { createAlertsCore } from '@ganzhi/alerts';
import { readTls } from '@ganzhi/api';
import { createRuleEngine, loadRuleFiles } from '@ganzhi/rules';
import { closeAll, openBus, openRegistry, openStore, runMain } from '@ganzhi/runtime';
import { loadPipelineConfig } from './config';
import { buildPipeline } from './pipeline';

/** `npm start`: the whole pipeline in one process, on embedded defaults. */
runMain('ganzhi', async (logger) => {
  const config = loadPipelineConfig(process.env);
  const registry = await openRegistry(config, logger);
  const ruleFiles = await loadRuleFiles(config.GANZHI_RULES_DIR);
  const engine = createRuleEngine(ruleFiles);
  const bus = await openBus(config, logger, config.GANZHI_GATEWAY_ID);
  const store = await openStore(config, logger);
  const pipeline = await buildPipeline(
    config,
    { bus, store, registry, engine, ruleFiles, alerts: createAlertsCore(), logger },
    { rulesSweepCron: config.GANZHI_RULES_SWEEP_CRON, alertsSweepCron: config.GANZHI_ALERTS_SWEEP_CRON, httpPort: config.GANZHI_HTTP_PORT,
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
  return { close: () => closeAll([store, bus, pipeline]), stats: () => pipeline.stats() };
}, { healthPort: Number(process.env.GANZHI_HEALTH_PORT ?? 0) });
