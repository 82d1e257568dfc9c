import { createAlertsCore } from '@ganzhi/alerts';
import { createRuleEngine, loadRuleFiles } from '@ganzhi/rules';
import { closeAll, openAuditKeyring, openBus, openRegistry, openStore, runMain } from '@ganzhi/runtime';
import { loadPipelineConfig } from './config';
import { buildPipeline } from './pipeline';

/** `npm start`: the whole pipeline in one process, on embedded defaults. */
runMain('ganzhi', async (logger) => {
  const config = loadPipelineConfig(process.env);
  const registry = await openRegistry(config, logger);
  const keyring = await openAuditKeyring(config, logger);
  const engine = createRuleEngine(await loadRuleFiles(config.GANZHI_RULES_DIR));
  const bus = await openBus(config, logger, config.GANZHI_GATEWAY_ID);
  const store = await openStore(config, logger);
  const pipeline = await buildPipeline(
    config,
    { bus, store, registry, engine, alerts: createAlertsCore({}, { keyring }), logger, keyring },
    {
      rulesSweepCron: config.GANZHI_RULES_SWEEP_CRON,
      alertsSweepCron: config.GANZHI_ALERTS_SWEEP_CRON,
      checkpointCron: config.GANZHI_AUDIT_CHECKPOINT_CRON,
      dataDir: config.GANZHI_DATA_DIR,
      silenceMaxMinutes: config.GANZHI_SILENCE_MAX_MINUTES,
      httpPort: config.GANZHI_HTTP_PORT,
    },
  );
  await pipeline.start();
  logger.info({ dataDir: config.GANZHI_DATA_DIR, bus: config.GANZHI_BUS, store: config.GANZHI_STORE, devices: registry.devices().length, rules: engine.ruleIds.length }, 'ganzhi running');
  return { close: () => closeAll([store, bus, pipeline]), stats: () => pipeline.stats() };
}, { healthPort: Number(process.env.GANZHI_HEALTH_PORT ?? 0) });
