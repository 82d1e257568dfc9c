import { fileURLToPath } from 'node:url';
import cron from 'node-cron';
import { z } from 'zod';
import { LogLevelSchema, envBool, envDuration, envInt, envList, envOptionalString, envPort, envSize, envString } from '@ganzhi/config';

const repoFile = (rel: string) => fileURLToPath(new URL(`../../../${rel}`, import.meta.url));
export const DEMO_REGISTRY_FILE = repoFile('deploy/demo/registry.json');
export const DEFAULT_RULES_DIR = repoFile('deploy/rules');
export const DEFAULT_NOTIFY_ROUTES_FILE = repoFile('deploy/notify/routes.json');

/**
 * What every Ganzhi process shares: where its data, registry and logs go, and which bus and store
 * it runs on. Each service's own schema extends this one.
 */
export const RuntimeConfigSchema = z.object({
  GANZHI_DATA_DIR: envString('./data').describe('where the embedded log and the DuckDB file live'),
  GANZHI_REGISTRY_FILE: envOptionalString().describe('device and operator registry (JSON); default: the demo registry, demo only'),
  GANZHI_LOG_LEVEL: LogLevelSchema.default('info').describe('pino log level'),
  GANZHI_BUS: z.enum(['embedded', 'kafka']).default('embedded').describe('embedded durable log, or Apache Kafka'),
  GANZHI_BUS_SYNC: z.enum(['fsync', 'write']).default('fsync').describe('embedded log: fsync each group commit (power-loss safe) or write only (process-crash safe)'),
  GANZHI_BUS_LINGER_MS: z.coerce.number().int().min(0).max(1_000).default(8).describe('embedded log: group-commit window of the topics synced before a PUBACK: while a topic takes more than 500/this appends a second (63/s for 8 ms), the first publish waits this long for others to share its write and fdatasync (adds at most this much to a PUBACK; at 1,000 msg/s it makes every stage work in batches and costs less CPU per message; 0 = only what arrives in the same tick)'),
  GANZHI_BUS_COMMIT_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(1000).describe('embedded log: checkpoint period: derived topics and stage state are synced, then every consumer position is committed, in one go (a crash redoes at most this much work; 0 = after every batch)'),
  GANZHI_BUS_MAX_LAG: z.coerce.number().int().min(1000).default(50_000).describe('embedded log: how far (records) the slowest stage may fall behind before publishes, and so PUBACKs, wait'),
  GANZHI_BUS_RAW_RETENTION_HOURS: z.coerce.number().positive().max(24 * 3650).default(168).describe('embedded log: hours of raw device messages kept, the replay window (default 7 days; at 100 msg/s about 250 B each, 15 GB, so the size bound below applies first)'),
  GANZHI_BUS_RAW_RETENTION_BYTES: envSize('4GiB').describe('embedded log: at most this much raw history (4 GiB: about 46 h at 100 msg/s, 4.6 h at 1,000 msg/s)'),
  GANZHI_BUS_DERIVED_RETENTION_HOURS: z.coerce.number().positive().max(24 * 3650).default(48).describe('embedded log: hours of readings, signals and dead letters kept (the store holds readings for good)'),
  GANZHI_BUS_DERIVED_RETENTION_BYTES: envSize('2GiB').describe('embedded log: at most this much per derived topic'),
  GANZHI_BUS_EVENTS_RETENTION_HOURS: z.coerce.number().positive().max(24 * 3650).default(24 * 90).describe('embedded log: hours of alert changes, operator commands, their results and silences kept (90 days; the store keeps the alert trail for good)'),
  GANZHI_BUS_EVENTS_RETENTION_BYTES: envSize('1GiB').describe('embedded log: at most this much per event topic'),
  KAFKA_BROKERS: envList([]).describe('comma-separated Kafka bootstrap brokers (GANZHI_BUS=kafka)'),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(3000).max(300_000).default(30_000).describe('Kafka consumer session timeout: how soon a dead instance\'s partitions move to another'),
  KAFKA_LINGER_MS: z.coerce.number().int().min(0).max(1_000).default(10).describe("Kafka producer linger (linger.ms): how long a record waits for others to share its produce request, used while records come at over 500/this a second (adds at most this much to a PUBACK and to each hop of an alert; at 500 msg/s 10 ms halves the produce requests of 5 ms; 0 = only what queued during the previous request)"),
  KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(12).describe('partitions of each topic Ganzhi creates on Kafka'),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]{0,100}$/, "letters, digits, '.', '_' and '-' only")
    .default('')
    .describe('prepended to every Kafka topic and consumer group name (several deployments on one cluster), e.g. `site-a.`'),
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(32).optional().describe('replicas of each topic Ganzhi creates (default min(3, brokers); warns when the brokers are fewer)'),
  KAFKA_MIN_INSYNC_REPLICAS: z.coerce.number().int().min(1).max(32).optional().describe("min.insync.replicas of each topic Ganzhi creates (default: the broker's; 2 with 3 replicas in production)"),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional().describe('SASL mechanism to the brokers (none when unset)'),
  KAFKA_SASL_USERNAME: envOptionalString().describe('SASL user (with KAFKA_SASL_MECHANISM)'),
  KAFKA_SASL_PASSWORD: envOptionalString().describe('SASL password (or KAFKA_SASL_PASSWORD_FILE)'),
  KAFKA_SASL_PASSWORD_FILE: envOptionalString().describe('file holding the SASL password (a mounted secret; trailing newline ignored)'),
  KAFKA_TLS: envBool(false).describe('TLS to the brokers (SSL / SASL_SSL listeners); on by itself when a KAFKA_TLS_* file is set'),
  KAFKA_TLS_CA_FILE: envOptionalString().describe("PEM CA bundle the brokers' certificates are checked against (default: Node's CAs)"),
  KAFKA_TLS_CERT_FILE: envOptionalString().describe('PEM client certificate, for brokers that require mutual TLS'),
  KAFKA_TLS_KEY_FILE: envOptionalString().describe('PEM private key of KAFKA_TLS_CERT_FILE'),
  GANZHI_STORE: z.enum(['duckdb', 'questdb']).default('duckdb').describe('embedded DuckDB file in the data directory, or QuestDB'),
  GANZHI_DUCKDB_MEMORY_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'a size such as 256MB or 1GB')
    .default('256MB')
    .describe("DuckDB's memory limit (GANZHI_STORE=duckdb)"),
  GANZHI_DUCKDB_LINGER_MS: z.coerce.number().int().min(0).max(10_000).optional().describe(
    'DuckDB: readings written within this many ms go in as one commit (a commit costs ms of CPU: at 100 msg/s this is most of the store\'s cost). Delays only when readings become queryable, never alerts or PUBACKs; 0 = a commit per bus batch. Default 1000 (the bus hands the writer what arrived meanwhile: the embedded bus everything queued, the Kafka bus what its writer consumer fetched ahead during the linger)',
  ),
  GANZHI_DUCKDB_MAX_ROWS: envInt(2000, 1, 1_000_000).describe('DuckDB: a group of readings is committed at once when it holds this many rows (one per metric)'),
  GANZHI_DUCKDB_BLOCKING_FLUSH: envBool(false).describe(
    "DuckDB: write every group in one synchronous Appender flush that commits (least CPU per row, but the writer's thread waits for the insert and the WAL fsync, tens of ms for thousands of rows: for a writer with a thread or process of its own); default: groups of up to 512 rows so, larger ones in a transaction, the Appender in 512-row chunks with the event loop let in between, the commit on DuckDB's threads",
  ),
  GANZHI_DUCKDB_THREAD: envBool(false).describe(
    'DuckDB on a thread of its own (a worker thread of this process): its Appender flushes, queries and commits never hold the thread of the MQTT broker and the stages, and each group of readings is one committing flush there. Costs more CPU in all (at 1,000 msg/s ~0.03-0.05 cores more: the thread\'s own heap and GC, readings crossing as JSON), so off by default; for installations whose console queries (long ranges) would otherwise stall ingest',
  ),
  QUESTDB_URL: envString('http://127.0.0.1:9000').describe('QuestDB HTTP endpoint (GANZHI_STORE=questdb)'),
  QUESTDB_USERNAME: envOptionalString().describe('QuestDB HTTP basic-auth user'),
  QUESTDB_PASSWORD: envOptionalString().describe('QuestDB HTTP basic-auth password'),
  QUESTDB_TOKEN: envOptionalString().describe('QuestDB HTTP bearer token (instead of user/password)'),
  GANZHI_OPS_HOST: envString('0.0.0.0').describe('address the ops listener (/metrics, /healthz, /readyz) binds to'),
  GANZHI_OPS_PORT: envPort(9464).describe('ops listener port: Prometheus /metrics, liveness /healthz, readiness /readyz (0 = any free port)'),
  GANZHI_RETENTION_RAW: envDuration('90d').describe('store: raw readings are kept this long (device time), then deleted after being rolled up; e.g. 90d, 36h'),
  GANZHI_RETENTION_ROLLUP_1M: envDuration('1825d').describe('store: 1-minute rollups (count, min, max, mean, last per device and metric) are kept this long; at least GANZHI_RETENTION_RAW'),
  GANZHI_RETENTION_ROLLUP_1H: envDuration('1825d').describe('store: 1-hour rollups are kept this long; at least GANZHI_RETENTION_ROLLUP_1M. Alerts and the audit trail are never deleted'),
  GANZHI_STORE_MAINTENANCE_CRON: z.string().default('0 */5 * * * *').describe("node-cron schedule of the store's rollup and retention run (writer, all-in-one); '' disables it"),
  GANZHI_DISK_WARN_PERCENT: envInt(85, 1, 100).describe('log a warning once the data volume is this full (percent)'),
  GANZHI_DISK_MIN_FREE: envSize('1GiB').describe('below this much free space on the data volume ingest refuses publishes (no PUBACK) until space is freed'),
  GANZHI_DISK_CHECK_MS: envInt(5000, 100, 3_600_000).describe('how often the data volume\'s free space is checked (the ingest floor, the warning)'),
  GANZHI_DISK_AREAS_MS: envInt(60_000, 100, 86_400_000).describe('how often the bytes of each area (bus state, bus topics, store) are measured for /api/stats and the metrics: a walk of the data directory, so less often than the free-space check'),
  GANZHI_AUDIT_KEY_FILE: envOptionalString().describe('audit keyring (HMAC keys with ids, JSON, 0600); default: ganzhi-audit-keys.json beside the data directory, made on first start'),
  GANZHI_HEALTH_PORT: envPort(0).describe('standalone services: port of /healthz and /readyz (0 = none)'),
});

/** The ops listener's settings, read by `runMain` before anything else. */
export const OpsConfigSchema = RuntimeConfigSchema.pick({ GANZHI_OPS_HOST: true, GANZHI_OPS_PORT: true });
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
  if (c.KAFKA_SASL_MECHANISM !== undefined) {
    if (c.KAFKA_SASL_USERNAME === undefined) ctx.addIssue({ code: 'custom', path: ['KAFKA_SASL_USERNAME'], message: 'required with KAFKA_SASL_MECHANISM' });
    if ((c.KAFKA_SASL_PASSWORD === undefined) === (c.KAFKA_SASL_PASSWORD_FILE === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['KAFKA_SASL_PASSWORD'], message: 'exactly one of KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE is required with KAFKA_SASL_MECHANISM' });
    }
  } else {
    for (const k of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE'] as const) {
      if (c[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'set KAFKA_SASL_MECHANISM too (plain, scram-sha-256 or scram-sha-512)' });
    }
  }
  if ((c.KAFKA_TLS_CERT_FILE === undefined) !== (c.KAFKA_TLS_KEY_FILE === undefined)) {
    ctx.addIssue({ code: 'custom', path: [c.KAFKA_TLS_CERT_FILE === undefined ? 'KAFKA_TLS_CERT_FILE' : 'KAFKA_TLS_KEY_FILE'], message: 'KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together' });
  }
  if (c.KAFKA_MIN_INSYNC_REPLICAS !== undefined && c.KAFKA_REPLICATION_FACTOR !== undefined && c.KAFKA_MIN_INSYNC_REPLICAS > c.KAFKA_REPLICATION_FACTOR) {
    ctx.addIssue({ code: 'custom', path: ['KAFKA_MIN_INSYNC_REPLICAS'], message: 'must not exceed KAFKA_REPLICATION_FACTOR' });
  }
}

/** The store retention policy the config names. */
export function retentionOf(c: RuntimeConfig): { rawMs: number; rollup1mMs: number; rollup1hMs: number } {
  return { rawMs: c.GANZHI_RETENTION_RAW, rollup1mMs: c.GANZHI_RETENTION_ROLLUP_1M, rollup1hMs: c.GANZHI_RETENTION_ROLLUP_1H };
}

/**
 * The DuckDB write-group linger: as configured, else 1 s on either bus (on Kafka the writer's
 * consumer fetches ahead while a write group lingers, so the linger does not hold back its reads).
 */
export function duckdbLingerMs(config: { GANZHI_DUCKDB_LINGER_MS?: number | undefined; GANZHI_BUS: string }): number {
  return config.GANZHI_DUCKDB_LINGER_MS ?? 1000;
}
