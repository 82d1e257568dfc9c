/**
 * The soak's pipeline process: what `npm start` runs (services/all/src/main.ts), on a device
 * clock that runs `speed` times faster than the wall clock from `deviceT0`, so that the store's
 * retention and rollups see a month pass in minutes. The controller writes the clock to
 * SOAK_CLOCK_FILE once the pipeline is up (its start time is not known in advance); until then
 * the clock is the wall clock. Bench only.
 */
import { readFileSync } from 'node:fs';
import { createAlertsCore } from '@ganzhi/alerts';
import { buildPipeline, loadPipelineConfig } from '@ganzhi/all';
import { createRuleEngine, loadRuleFiles } from '@ganzhi/rules';
import { buildDiskWatch, buildStoreMaintenance, closeAll, diskWatchConfig, openBus, openRegistry, openStore, runMain } from '@ganzhi/runtime';

const clockFile = process.env.SOAK_CLOCK_FILE;
if (!clockFile) throw new Error('SOAK_CLOCK_FILE is required');
let clock: { wallT0: number; deviceT0: number; speed: number } | undefined;
const poll = setInterval(() => {
  try {
    clock = JSON.parse(readFileSync(clockFile, 'utf8')) as typeof clock;
    clearInterval(poll);
  } catch {
    /* not written yet */
  }
}, 50);
const deviceNow = () => (clock ? Math.round(clock.deviceT0 + (Date.now() - clock.wallT0) * clock.speed) : Date.now());

runMain('ganzhi-soak', async (logger) => {
  const config = loadPipelineConfig(process.env);
  const registry = await openRegistry(config, logger);
  const engine = createRuleEngine(await loadRuleFiles(config.GANZHI_RULES_DIR));
  const bus = await openBus(config, logger, config.GANZHI_GATEWAY_ID);
  const store = await openStore(config, logger);
  const pipeline = await buildPipeline(
    config,
    {
      bus,
      store,
      registry,
      engine,
      alerts: createAlertsCore(),
      logger,
      now: deviceNow,
      disk: buildDiskWatch(diskWatchConfig(config), { logger }),
      maintenance: buildStoreMaintenance({ cron: config.GANZHI_STORE_MAINTENANCE_CRON }, { store, logger, now: deviceNow }),
    },
    { rulesSweepCron: '', alertsSweepCron: '', httpPort: config.GANZHI_HTTP_PORT },
  );
  await pipeline.start();
  return { close: () => closeAll([store, bus, pipeline]), stats: () => pipeline.stats() };
});
