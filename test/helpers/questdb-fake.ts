import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny HTTP server on 127.0.0.1 answering the few QuestDB endpoints the store uses (/settings,
 * /exec for DDL, WAL status and counts, /write for ILP), for tests about reachability only — not
 * QuestDB (the store contract suite runs against a real one). Same shape as the fake in
 * packages/store/src/questdb/http-errors.test.ts.
 */
export async function startFakeQuestDb(): Promise<{ port: number; writes: () => number; close(): Promise<void> }> {
  let writes = 0;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    if (url.pathname === '/settings') return json(200, { config: { 'line.proto.support.versions': [1] } });
    if (url.pathname === '/write' && req.method === 'POST') {
      req.resume();
      req.on('end', () => {
        writes++;
        json(204, undefined);
      });
      return;
    }
    if (url.pathname === '/exec') {
      const sql = url.searchParams.get('query') ?? '';
      if (sql.startsWith('CREATE TABLE')) return json(200, { ddl: 'OK' });
      if (sql.includes('wal_tables()')) {
        const names = [...sql.matchAll(/name = '([^']+)'/g)].map((m) => m[1] ?? '');
        return json(200, { columns: ['name', 'suspended', 'writerTxn', 'sequencerTxn'].map((name) => ({ name, type: 'LONG' })), dataset: names.map((n) => [n, false, 1, 1]) });
      }
      return json(200, { columns: [{ name: 'n', type: 'LONG' }], dataset: [[0]] });
    }
    json(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    writes: () => writes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
