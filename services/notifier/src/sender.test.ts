import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { renderNotification, withOverrides, type Notification } from '@ganzhi/notify';
import { createSender } from './sender';

const n: Notification = {
  id: 'ntf-sender-test',
  receiver: 'hook',
  routeId: 'root',
  language: 'en',
  createdAt: 0,
  items: [{ changeId: 'a#1', alertId: 'a', seq: 1, event: 'raised', level: 'red', kind: 'river_gauge', deviceId: 'g1', ruleId: 'r', status: 'open', actor: 'system:alerts', at: 0 }],
};
const rendered = renderNotification(withOverrides({}), 'webhook', 'en', n, { offsetMin: 0 });

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});
/** A server of the test's own that takes requests and never answers them. */
async function stuckServer(): Promise<string> {
  const server = createServer(() => undefined);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?key=secret-key`;
}

describe('the sender', () => {
  it('gives up an attempt on a receiver that does not answer after the timeout, as a failure worth retrying', async () => {
    const sender = createSender({ timeoutMs: 200, from: 'x@y' });
    const url = await stuckServer();
    const verdict = await sender.send({ type: 'webhook', id: 'hook', url }, n, rendered, Date.now());
    expect(verdict).toEqual({ ok: false, retry: true, error: 'timed out' });
    await sender.close();
  });

  it('names a network error by its code, never by the URL (which may carry a robot key)', async () => {
    const url = await stuckServer();
    const server = servers.pop()!;
    server.closeAllConnections();
    await new Promise((r) => server.close(r)); // nothing listens there any more
    const sender = createSender({ timeoutMs: 2_000, from: 'x@y' });
    const verdict = await sender.send({ type: 'wecom', id: 'chat', url }, n, rendered, Date.now());
    expect(verdict).toEqual({ ok: false, retry: true, error: 'ECONNREFUSED' });
    await sender.close();
  });

  it('stops an attempt in flight when the notifier closes', async () => {
    const sender = createSender({ timeoutMs: 60_000, from: 'x@y' });
    const url = await stuckServer();
    const closing = new AbortController();
    const pending = sender.send({ type: 'webhook', id: 'hook', url }, n, rendered, Date.now(), closing.signal);
    closing.abort();
    expect(await pending).toMatchObject({ ok: false, retry: true });
    await sender.close();
  });
});
