import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startQuestDbPeer } from './peer';
import { startTcpProxy, type TcpProxy } from './proxy';

describe('QuestDB test peer', () => {
  it('uses QUESTDB_URL when it is set, starting nothing', async () => {
    const start = await startQuestDbPeer({ env: { QUESTDB_URL: 'http://127.0.0.1:9000' } });
    expect(start.peer).toMatchObject({ url: 'http://127.0.0.1:9000', kind: 'env', description: 'QUESTDB_URL=http://127.0.0.1:9000' });
    await start.peer?.stop();
  });

  it('says why there is no peer when QUESTDB_URL is unset and no Docker engine answers', async () => {
    const start = await startQuestDbPeer({ env: { DOCKER_HOST: 'unix:///nonexistent/ganzhi/docker.sock' } });
    expect(start.peer).toBeUndefined();
    expect(start.reason).toMatch(/QUESTDB_URL is not set and no Docker engine answers/);
  });
});

/** A line-echo server: answers each chunk with `echo:<chunk>`. */
async function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('data', (d) => s.write(`echo:${d.toString()}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function ask(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => s.write(text));
    s.setTimeout(2000, () => s.destroy(new Error('timeout')));
    s.once('data', (d) => {
      resolve(d.toString());
      s.destroy();
    });
    s.once('error', reject);
  });
}

describe('TCP proxy for outage tests', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('forwards to its target, refuses connections while cut, and forwards again on the same port once restored', async () => {
    const echo = await echoServer();
    cleanups.push(() => echo.close());
    const proxy: TcpProxy = await startTcpProxy({ host: '127.0.0.1', port: echo.port });
    cleanups.push(() => proxy.close());

    expect(await ask(proxy.port, 'a')).toBe('echo:a');

    const open = createConnection({ host: '127.0.0.1', port: proxy.port });
    await new Promise<void>((resolve) => open.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => open.once('close', () => resolve()));
    open.on('error', () => undefined);
    await proxy.cut();
    await closed; // open connections are reset
    await expect(ask(proxy.port, 'b')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await proxy.restore();
    expect(await ask(proxy.port, 'c')).toBe('echo:c');
    expect(proxy.accepted).toBe(3);
  });

  it('sends new connections to a new target after retarget', async () => {
    const one = await echoServer();
    const two = await echoServer();
    cleanups.push(() => one.close(), () => two.close());
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: one.port });
    cleanups.push(() => proxy.close());
    await one.close();
    proxy.retarget('127.0.0.1', two.port);
    expect(await ask(proxy.port, 'x')).toBe('echo:x');
  });
});
