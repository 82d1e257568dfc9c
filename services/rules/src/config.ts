import { z } from 'zod';
import { envCron, envString } from '@ganzhi/config';
import { DEFAULT_RULES_DIR, RuntimeConfigSchema, checkRuntime } from '@ganzhi/runtime';

/** This service's configuration (distributed mode); documented in the README. */
export const RulesConfigSchema = RuntimeConfigSchema.extend({
  GANZHI_RULES_DIR: envString(DEFAULT_RULES_DIR).describe('directory of rule files (*.json)'),
  GANZHI_RULES_SWEEP_CRON: envCron('*/10 * * * * *').describe('node-cron schedule of the absence / composite-window sweep'),
}).superRefine(checkRuntime);
