import { loadConfig } from '@ganzhi/config';
import { RuntimeConfigSchema, checkRuntime, closeAll, openBus, openRegistry, runMain } from '@ganzhi/runtime';
import { buildNormalizer } from './build';

/** The normalizer alone (distributed mode): instances share the consumer group `normalizer`. */
runMain('normalizer', async (logger, { metrics }) => {
  const config = loadConfig(RuntimeConfigSchema.superRefine(checkRuntime), process.env);
  const registry = await openRegistry(config, logger);
  const bus = await openBus(config, logger, 'normalizer', metrics);
  const normalizer = buildNormalizer({ bus, registry, logger });
  await normalizer.start();
  return { close: () => closeAll([registry, bus, normalizer]), stats: () => normalizer.stats() };
});
