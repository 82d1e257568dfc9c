import { fileURLToPath } from 'node:url';
import cron from 'node-cron';
import { z } from 'zod';
import { envDuration, envInt, envList, envOptionalString, envPort, envSize, envString } from '@ganzhi/config';

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
  GANZHI_RETENTION_RAW: envDuration('90d').describe('store: raw readings are kept this long (device time), then deleted after being rolled up; e.g. 90d, 36h'),
  GANZHI_RETENTION_ROLLUP_1M: envDuration('1825d').describe('store: 1-minute rollups (count, min, max, mean, last per device and metric) are kept this long; at least GANZHI_RETENTION_RAW'),
  GANZHI_RETENTION_ROLLUP_1H: envDuration('1825d').describe('store: 1-hour rollups are kept this long; at least GANZHI_RETENTION_ROLLUP_1M. Alerts and the audit trail are never deleted'),
  GANZHI_STORE_MAINTENANCE_CRON: z.string().default('0 */5 * * * *').describe("node-cron schedule of the store's rollup and retention run (writer, all-in-one); '' disables it"),
  GANZHI_DISK_WARN_PERCENT: envInt(85, 1, 100).describe('log a warning once the data volume is this full (percent)'),
  GANZHI_DISK_MIN_FREE: envSize('1GiB').describe('below this much free space on the data volume ingest refuses publishes (no PUBACK) until space is freed'),
  GANZHI_DISK_CHECK_MS: envInt(5000, 100, 3_600_000).describe('how often the data volume and each area (bus state, bus topics, store) are measured'),
  GANZHI_HEALTH_PORT: envPort(0).describe('standalone services: port of /healthz and /readyz (0 = none)'),
});
export type RuntimeConfig = z.infer<typeof RuntimeConfigSchema>;

/** Cross-field rules every runtime config obeys; call from a service schema's superRefine. */
export function checkRuntime(c: RuntimeConfig, ctx: z.RefinementCtx): void {
  if (c.GANZHI_RETENTION_RAW < 60_000) {
    ctx.addIssue({ code: 'custom', path: ['GANZHI_RETENTION_RAW'], message: 'must be at least 1m' });
  }
  if (c.GANZHI_RETENTION_ROLLUP_1M < c.GANZHI_RETENTION_RAW) {
    ctx.addIssue({ code: 'custom', path: ['GANZHI_RETENTION_ROLLUP_1M'], message: 'must be at least GANZHI_RETENTION_RAW' });
  }
  if (c.GANZHI_RETENTION_ROLLUP_1H < c.GANZHI_RETENTION_ROLLUP_1M) {
    ctx.addIssue({ code: 'custom', path: ['GANZHI_RETENTION_ROLLUP_1H'], message: 'must be at least GANZHI_RETENTION_ROLLUP_1M' });
  }
  if (c.GANZHI_STORE_MAINTENANCE_CRON !== '' && !cron.validate(c.GANZHI_STORE_MAINTENANCE_CRON)) {
    ctx.addIssue({ code: 'custom', path: ['GANZHI_STORE_MAINTENANCE_CRON'], message: 'not a valid node-cron expression' });
  }
  if (c.GANZHI_BUS === 'kafka' && c.KAFKA_BROKERS.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['KAFKA_BROKERS'], message: 'required when GANZHI_BUS=kafka' });
  }
}

/** The store retention policy the config names. */
export function retentionOf(c: RuntimeConfig): { rawMs: number; rollup1mMs: number; rollup1hMs: number } {
  return { rawMs: c.GANZHI_RETENTION_RAW, rollup1mMs: c.GANZHI_RETENTION_ROLLUP_1M, rollup1hMs: c.GANZHI_RETENTION_ROLLUP_1H };
}
