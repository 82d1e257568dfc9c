import { it, expect } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTcpProxy } from '@ganzhi/testkit';
import { Sender } from '@questdb/nodejs-client';

it('debug', async () => {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.url?.startsWith('/settings')) { res.writeHead(200); return res.end(JSON.stringify({ config: { 'line.proto.support.versions': [1] } })); }
      res.writeHead(204); res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const proxy = await startTcpProxy({ host: '127.0.0.1', port });
  const sender = await Sender.fromConfig(`http::addr=127.0.0.1:${proxy.port};stdlib_http=on;auto_flush=off;request_timeout=300;retry_timeout=300;protocol_version=1`, { log: (l, m) => { if (l !== 'debug') console.log('client', l, String(m)); } });
  await sender.table('t').floatColumn('v', 1).at(1, 'ms');
  console.log('flush1', await sender.flush());
  await proxy.cut();
  await sender.table('t').floatColumn('v', 2).at(2, 'ms');
  const t0 = Date.now();
  const r = await Promise.race([sender.flush().then(() => 'ok', (e) => 'err: ' + e.message), new Promise((res) => setTimeout(() => res('still pending after 5s'), 5000))]);
  console.log('flush2', r, Date.now() - t0, 'ms');
  await proxy.restore();
  await sender.table('t').floatColumn('v', 3).at(3, 'ms');
  const t1 = Date.now();
  console.log('flush3', await sender.flush().then(() => 'ok', (e) => 'err: ' + e.message), Date.now() - t1, 'ms');
  await proxy.close(); server.close();
  expect(true).toBe(true);
}, 20000);
