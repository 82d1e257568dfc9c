import { createAlertsCore } from '@ganzhi/alerts';
import { createLogger } from '@ganzhi/log';
import { loadRegistryFile } from '@ganzhi/registry';
import { createRuleEngine, loadRuleFiles } from '@ganzhi/rules';
import { isGanzhiError } from '@ganzhi/schemas';
import { openBus, openStore } from './adapters';
import { DEMO_REGISTRY_FILE, loadPipelineConfig } from './config';
import { buildPipeline } from './pipeline';

/** `npm start`: the whole pipeline in one process on embedded defaults. */
async function main(): Promise<void> {
  const config = loadPipelineConfig(process.env);
  const logger = createLogger({ level: config.GANZHI_LOG_LEVEL, name: 'ganzhi' });
  const registryFile = config.GANZHI_REGISTRY_FILE ?? DEMO_REGISTRY_FILE;
  const registry = await loadRegistryFile(registryFile);
  if (registry.demo) {
    logger.warn({ registry: registryFile }, 'DEMO REGISTRY: its credentials are public. Set GANZHI_REGISTRY_FILE for anything but a demo.');
  }
  const engine = createRuleEngine(await loadRuleFiles(config.GANZHI_RULES_DIR));
  const bus = await openBus(config, logger);
  const store = await openStore(config, logger);
  const pipeline = await buildPipeline(
    config,
    { bus, store, registry, engine, alerts: createAlertsCore(), logger },
    { rulesSweepCron: config.GANZHI_RULES_SWEEP_CRON, alertsSweepCron: config.GANZHI_ALERTS_SWEEP_CRON, httpPort: config.GANZHI_HTTP_PORT },
  );
  await pipeline.start();
  logger.info({ dataDir: config.GANZHI_DATA_DIR, devices: registry.devices().length, rules: engine.ruleIds.length }, 'ganzhi running');

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    pipeline
      .close()
      .then(() => bus.close())
      .then(() => store.close())
      .then(
        () => {
          logger.info('stopped cleanly');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (isGanzhiError(err)) {
    process.stderr.write(`ganzhi: ${err.code}: ${err.message}\n`);
  } else {
    process.stderr.write(`ganzhi: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});
