export { buildRulesService } from './build';
export type { RulesService, RulesServiceDeps, RulesServiceOptions } from './build';
export { RulesConfigSchema } from './config';
