import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@ganzhi/log';
import type { Registry } from '@ganzhi/registry';
import type { Notifier } from './build';

/**
 * The notifier's read route when it runs alone (distributed mode):
 * `GET /api/alerts/{alertId}/notifications`, for operators (HTTP Basic, registry credentials) —
 * the same route and answer the API serves when the notifier runs in its process.
 */
export function buildNotificationsHttp(options: { host: string; port: number }, deps: { notifier: Notifier; registry: Registry; logger: Logger }) {
  let server: Server | undefined;
  const send = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  return {
    port: () => (server?.address() as AddressInfo | null)?.port ?? 0,
    async start() {
      server = createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const m = /^\/api\/alerts\/([^/]+)\/notifications$/.exec(url.pathname);
        if (req.method !== 'GET' || !m) return send(res, 404, { error: { code: 'GANZHI_ERR_API_NOT_FOUND', message: `no route ${req.method} ${url.pathname}` } });
        const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '');
        const decoded = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8') : '';
        const i = decoded.indexOf(':');
        void (i > 0 ? deps.registry.authenticate(decoded.slice(0, i), decoded.slice(i + 1)) : Promise.resolve(undefined)).then(
          (p) => {
            if (p?.type !== 'operator') return send(res, 401, { error: { code: 'GANZHI_ERR_GW_AUTH', message: 'operator credentials required (HTTP Basic)' } });
            const alertId = decodeURIComponent(m[1]!);
            send(res, 200, { alertId, notifications: deps.notifier.notifications(alertId) });
          },
          (err: unknown) => {
            deps.logger.error({ err }, 'notifications request failed');
            send(res, 500, { error: { code: 'GANZHI_ERR_API_INTERNAL', message: 'internal error' } });
          },
        );
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(options.port, options.host, () => resolve());
      });
    },
    async close() {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server?.closeAllConnections();
    },
  };
}
