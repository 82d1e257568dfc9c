import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { envList, envOptionalString, envPort, envString } from '@ganzhi/config';

const repoFile = (rel: string) => fileURLToPath(new URL(`../../../${rel}`, import.meta.url));
export const DEMO_REGISTRY_FILE = repoFile('deploy/demo/registry.json');
export const DEFAULT_RULES_DIR = repoFile('deploy/rules');

/**
 * What every Ganzhi process shares: where its data, registry and logs go, and which bus and store
 * it runs on. Each service's own schema extends this one.
 */
export const RuntimeConfigSchema = z.object({
  GANZHI_DATA_DIR: envString('./data').describe('where the embedded log and the DuckDB file live'),
  GANZHI_REGISTRY_FILE: envOptionalString().describe('device and operator registry (JSON); default: the demo registry, demo only'),
  GANZHI_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level'),
  GANZHI_BUS: z.enum(['embedded', 'kafka']).default('embedded').describe('embedded durable log, or Apache Kafka'),
  GANZHI_BUS_SYNC: z.enum(['fsync', 'write']).default('fsync').describe('embedded log: fsync each group commit (power-loss safe) or write only (process-crash safe)'),
  GANZHI_BUS_MAX_LAG: z.coerce.number().int().min(1000).default(50_000).describe('embedded log: how far (records) the slowest stage may fall behind before publishes, and so PUBACKs, wait'),
  KAFKA_BROKERS: envList([]).describe('comma-separated Kafka bootstrap brokers (GANZHI_BUS=kafka)'),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(3000).max(300_000).default(30_000).describe('Kafka consumer session timeout: how soon a dead instance\'s partitions move to another'),
  KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(12).describe('partitions of each topic Ganzhi creates on Kafka'),
  GANZHI_STORE: z.enum(['duckdb', 'questdb']).default('duckdb').describe('embedded DuckDB file in the data directory, or QuestDB'),
  GANZHI_DUCKDB_MEMORY_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'a size such as 256MB or 1GB')
    .default('256MB')
    .describe("DuckDB's memory limit (GANZHI_STORE=duckdb)"),
  QUESTDB_URL: envString('http://127.0.0.1:9000').describe('QuestDB HTTP endpoint (GANZHI_STORE=questdb)'),
  QUESTDB_USERNAME: envOptionalString().describe('QuestDB HTTP basic-auth user'),
  QUESTDB_PASSWORD: envOptionalString().describe('QuestDB HTTP basic-auth password'),
  QUESTDB_TOKEN: envOptionalString().describe('QuestDB HTTP bearer token (instead of user/password)'),
  GANZHI_AUDIT_KEY_FILE: envOptionalString().describe('audit keyring (HMAC keys with ids, JSON, 0600); default: ganzhi-audit-keys.json beside the data directory, made on first start'),
  GANZHI_HEALTH_PORT: envPort(0).describe('standalone services: port of /healthz and /readyz (0 = none)'),
});
export type RuntimeConfig = z.infer<typeof RuntimeConfigSchema>;

/** Cross-field rules every runtime config obeys; call from a service schema's superRefine. */
export function checkRuntime(c: RuntimeConfig, ctx: z.RefinementCtx): void {
  if (c.GANZHI_BUS === 'kafka' && c.KAFKA_BROKERS.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['KAFKA_BROKERS'], message: 'required when GANZHI_BUS=kafka' });
  }
}
