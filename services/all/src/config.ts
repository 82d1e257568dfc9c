import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { envList, envOptionalString, envPort, envString, loadConfig, type Env } from '@ganzhi/config';
import { GatewayConfigSchema } from '@ganzhi/gateway';

const repoFile = (rel: string) => fileURLToPath(new URL(`../../../${rel}`, import.meta.url));

/** Configuration of the all-in-one process (`npm start`); every variable is documented in the README. */
export const PipelineConfigSchema = GatewayConfigSchema.extend({
  GANZHI_HTTP_PORT: envPort(8080).describe('operators\' HTTP API port (0 = any free port)'),
  GANZHI_DATA_DIR: envString('./data').describe('where the embedded log and the DuckDB file live'),
  GANZHI_REGISTRY_FILE: envOptionalString().describe('device and operator registry (JSON); default: the demo registry, demo only'),
  GANZHI_RULES_DIR: envString(repoFile('deploy/rules')).describe('directory of rule files (*.json)'),
  GANZHI_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level'),
  GANZHI_BUS: z.enum(['embedded', 'kafka']).default('embedded').describe('embedded durable log, or Apache Kafka'),
  GANZHI_BUS_SYNC: z.enum(['fsync', 'write']).default('fsync').describe('embedded log: fsync each group commit (power-loss safe) or write only (process-crash safe)'),
  KAFKA_BROKERS: envList([]).describe('comma-separated Kafka bootstrap brokers (GANZHI_BUS=kafka)'),
  GANZHI_STORE: z.enum(['duckdb', 'questdb']).default('duckdb').describe('embedded DuckDB file in the data directory, or QuestDB'),
  QUESTDB_URL: envString('http://127.0.0.1:9000').describe('QuestDB HTTP endpoint (GANZHI_STORE=questdb)'),
  GANZHI_RULES_SWEEP_CRON: z.string().default('*/10 * * * * *').describe('node-cron schedule of the absence / hold-timer sweep'),
  GANZHI_ALERTS_SWEEP_CRON: z.string().default('*/15 * * * * *').describe('node-cron schedule of the escalation sweep'),
}).superRefine((c, ctx) => {
  if (c.GANZHI_BUS === 'kafka' && c.KAFKA_BROKERS.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['KAFKA_BROKERS'], message: 'required when GANZHI_BUS=kafka' });
  }
});
export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;

export const loadPipelineConfig = (env: Env) => loadConfig(PipelineConfigSchema, env);
export const DEMO_REGISTRY_FILE = repoFile('deploy/demo/registry.json');
