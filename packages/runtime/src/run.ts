import { createLogger, type Logger } from '@ganzhi/log';
import { LogLevelSchema, loadConfig } from '@ganzhi/config';
import { createMetrics, type Metrics } from '@ganzhi/metrics';
import { isGanzhiError } from '@ganzhi/schemas';
import { OpsConfigSchema } from './config';
import { startOps, type OpsServer } from './ops';
import { GANZHI_VERSION } from './version';

export interface Running {
  /** Stops the service and releases what it opened, in reverse order. */
  close(): Promise<void>;
  /** Figures for /readyz (stage counters). */
  stats?(): unknown;
}

/** What `runMain` hands a service's start function besides the logger. */
export interface OpsContext {
  /** This process's metrics (one registry): pass it down through deps. */
  readonly metrics: Metrics;
  /** Adds a readiness check, asked at every /readyz (e.g. the store answers). */
  check(name: string, fn: () => boolean | Promise<boolean>): void;
}

/**
 * The body of every `main.ts`: makes the logger and the metrics registry, serves the ops listener
 * (/metrics, /healthz, /readyz on GANZHI_OPS_HOST:GANZHI_OPS_PORT) from the first moment, runs
 * `start`, and closes cleanly on SIGTERM/SIGINT. Readiness is false until `start` resolves (bus,
 * store and listeners up), whenever a check fails, and once shutdown begins. A startup failure
 * prints its GANZHI_ERR_* code and message (a bad config names the variable) and exits 1.
 */
export function runMain(name: string, start: (logger: Logger, ops: OpsContext) => Promise<Running>, options: { logLevel?: string } = {}): void {
  // Everything this process creates (bus logs, the DuckDB file, checkpoints, keys) is its own:
  // files 0600, directories 0700, whatever the shell's umask.
  process.umask(0o077);
  const level = LogLevelSchema.safeParse(options.logLevel ?? process.env.GANZHI_LOG_LEVEL ?? 'info');
  if (!level.success) {
    // the logger cannot be made: say so as every other config error is said, naming the variable
    process.stderr.write(`${name}: GANZHI_ERR_CFG_INVALID: invalid configuration: GANZHI_LOG_LEVEL: must be one of ${LogLevelSchema.options.join(', ')}\n`);
    process.exit(1);
  }
  const logger = createLogger({ level: level.data, name });
  const fail = (err: unknown): never => {
    if (isGanzhiError(err)) process.stderr.write(`${name}: ${err.code}: ${err.message}\n`);
    else process.stderr.write(`${name}: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  };
  let opsConfig: { GANZHI_OPS_HOST: string; GANZHI_OPS_PORT: number };
  try {
    opsConfig = loadConfig(OpsConfigSchema, process.env);
  } catch (err) {
    return fail(err);
  }
  const metrics = createMetrics({ service: name });
  metrics.info.set({ version: GANZHI_VERSION }, 1);
  const checks = new Map<string, () => boolean | Promise<boolean>>();
  let running: Running | undefined;
  let started = false;
  let closing = false;
  const readiness = async () => {
    const results: Record<string, boolean> = {};
    for (const [check, fn] of checks) results[check] = await Promise.resolve().then(fn).catch(() => false);
    const ready = started && !closing && Object.values(results).every(Boolean);
    metrics.setReady(ready);
    return { ready, checks: { started, ...results }, ...(running?.stats ? { stats: running.stats() } : {}) };
  };
  const ops: OpsContext = { metrics, check: (check, fn) => void checks.set(check, fn) };
  let opsServer: OpsServer | undefined;

  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    metrics.setReady(false);
    logger.info({ signal }, 'shutting down');
    (running ? running.close() : Promise.resolve()).then(
      async () => {
        logger.info('stopped cleanly');
        await opsServer?.close();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  startOps({ host: opsConfig.GANZHI_OPS_HOST, port: opsConfig.GANZHI_OPS_PORT, service: name, metrics, readiness, logger: logger.child({ component: 'ops' }) })
    .then((server) => {
      opsServer = server;
      return start(logger, ops);
    })
    .then((r) => {
      running = r;
      started = true;
      metrics.setReady(true);
      logger.info({ service: name }, 'ready');
      if (closing) shutdown('SIGTERM');
    }, fail);
}

/** Closes resources in reverse order of opening, continuing past failures; rethrows the first. */
export async function closeAll(resources: readonly ({ close(): Promise<void> } | undefined)[]): Promise<void> {
  let first: unknown;
  for (const r of [...resources].reverse()) {
    try {
      await r?.close();
    } catch (err) {
      first ??= err;
    }
  }
  if (first) throw first;
}
