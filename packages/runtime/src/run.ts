import { createServer, type Server } from 'node:http';
import { createLogger, type Logger } from '@ganzhi/log';
import { isGanzhiError } from '@ganzhi/schemas';

export interface Running {
  /** Stops the service and releases what it opened, in reverse order. */
  close(): Promise<void>;
  /** Figures for /healthz (stage counters). */
  stats?(): unknown;
}

/**
 * The body of every `main.ts`: makes the logger, runs `start`, serves /healthz and /readyz when a
 * health port is given, and closes cleanly on SIGTERM/SIGINT. A startup failure prints its
 * GANZHI_ERR_* code and message (a bad config names the variable) and exits 1.
 */
export function runMain(
  name: string,
  start: (logger: Logger) => Promise<Running>,
  options: { logLevel?: string; healthPort?: number; healthHost?: string } = {},
): void {
  // Everything this process creates (bus logs, the DuckDB file, checkpoints, keys) is its own:
  // files 0600, directories 0700, whatever the shell's umask.
  process.umask(0o077);
  const logger = createLogger({ level: options.logLevel ?? process.env.GANZHI_LOG_LEVEL ?? 'info', name });
  let running: Running | undefined;
  let ready = false;
  let health: Server | undefined;
  if (options.healthPort) {
    health = createServer((req, res) => {
      const ok = req.url === '/readyz' ? ready : req.url === '/healthz';
      res.writeHead(ok ? 200 : req.url === '/readyz' ? 503 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ service: name, ready, stats: running?.stats?.() }));
    });
    health.listen(options.healthPort, options.healthHost ?? '0.0.0.0');
  }
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    ready = false;
    logger.info({ signal }, 'shutting down');
    (running ? running.close() : Promise.resolve()).then(
      () => {
        logger.info('stopped cleanly');
        health?.close();
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
  start(logger).then(
    (r) => {
      running = r;
      ready = true;
      logger.info({ service: name }, 'ready');
      if (closing) shutdown('SIGTERM');
    },
    (err: unknown) => {
      if (isGanzhiError(err)) process.stderr.write(`${name}: ${err.code}: ${err.message}\n`);
      else process.stderr.write(`${name}: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
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
