import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@ganzhi/log';
import type { Metrics } from '@ganzhi/metrics';

export interface OpsOptions {
  readonly host: string;
  /** 0 = any free port (tests); the bound port is logged and returned by `port()`. */
  readonly port: number;
  readonly service: string;
  readonly metrics: Metrics;
  /** Whether the process is ready now, and what each check said. */
  readonly readiness: () => Promise<{ ready: boolean; checks: Record<string, boolean> }>;
  readonly logger: Logger;
}

export interface OpsServer {
  port(): number;
  close(): Promise<void>;
}

/**
 * The operations listener every process has, apart from the operators' HTTP API so that it works
 * whatever that API runs on: `GET /metrics` (Prometheus text format), `GET /healthz` (liveness:
 * the process answers) and `GET /readyz` (readiness: 200 once the bus, the store and the
 * listeners are up and the store answers, else 503).
 */
export async function startOps(options: OpsOptions): Promise<OpsServer> {
  const { metrics, service } = options;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'application/json', JSON.stringify({ error: 'GET only' }));
    switch (path) {
      case '/metrics':
        metrics.exposition().then(
          ({ contentType, text }) => send(200, contentType, text),
          (err: unknown) => {
            options.logger.error({ err }, 'metrics collection failed');
            send(500, 'text/plain', 'metrics collection failed\n');
          },
        );
        return;
      case '/healthz':
      case '/livez':
        return send(200, 'application/json', JSON.stringify({ service, live: true }));
      case '/readyz':
        options.readiness().then(
          (r) => send(r.ready ? 200 : 503, 'application/json', JSON.stringify({ service, ...r })),
          () => send(503, 'application/json', JSON.stringify({ service, ready: false, checks: {} })),
        );
        return;
      default:
        return send(404, 'application/json', JSON.stringify({ error: 'not found', paths: ['/metrics', '/healthz', '/readyz'] }));
    }
  });
  server.keepAliveTimeout = 65_000; // longer than Prometheus' scrape interval: one connection per scraper
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ opsPort: port, host: options.host }, 'ops listening (/metrics, /healthz, /readyz)');
  return {
    port: () => port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeIdleConnections();
        server.close(() => resolve());
      }),
  };
}
