import { z } from 'zod';
import { envPort, envString, loadConfig, type Env } from '@ganzhi/config';
import { ApiHttpConfigShape, checkApiHttp } from '@ganzhi/api';
import { GatewayConfigSchema } from '@ganzhi/gateway';
import { DEFAULT_RULES_DIR, RuntimeConfigSchema, checkRuntime } from '@ganzhi/runtime';

/** Configuration of the all-in-one process (`npm start`); every variable is documented in the README. */
export const PipelineConfigSchema = GatewayConfigSchema.extend(RuntimeConfigSchema.shape)
  .extend({
    GANZHI_HTTP_PORT: envPort(8080).describe("operators' HTTP API port (0 = any free port)"),
    GANZHI_RULES_DIR: envString(DEFAULT_RULES_DIR).describe('directory of rule files (*.json)'),
    GANZHI_RULES_SWEEP_CRON: z.string().default('*/10 * * * * *').describe('node-cron schedule of the absence / composite-window sweep'),
    GANZHI_ALERTS_SWEEP_CRON: z.string().default('*/15 * * * * *').describe('node-cron schedule of the escalation sweep'),
    ...ApiHttpConfigShape,
  })
  .superRefine((c, ctx) => {
    checkRuntime(c, ctx);
    checkApiHttp(c, ctx);
  });
export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;

export const loadPipelineConfig = (env: Env) => loadConfig(PipelineConfigSchema, env);
