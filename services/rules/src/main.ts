import { loadConfig } from '@ganzhi/config';
import { instrumentEngine } from '@ganzhi/metrics';
import { createRuleEngine, loadRuleFiles } from '@ganzhi/rules';
import { closeAll, openBus, openRegistry, runMain } from '@ganzhi/runtime';
import { buildRulesService } from './build';
import { RulesConfigSchema } from './config';

/** The rule evaluator alone (distributed mode): instances share the consumer group `rules`. */
runMain('rules', async (logger, { metrics }) => {
  const config = loadConfig(RulesConfigSchema, process.env);
  const registry = await openRegistry(config, logger);
  const engine = instrumentEngine(createRuleEngine(await loadRuleFiles(config.GANZHI_RULES_DIR)), metrics);
  const bus = await openBus(config, logger, 'rules', metrics);
  const rules = buildRulesService({ bus, registry, engine, logger }, { sweepCron: config.GANZHI_RULES_SWEEP_CRON });
  await rules.start();
  return { close: () => closeAll([registry, bus, rules]), stats: () => rules.stats() };
});
