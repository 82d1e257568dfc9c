/**
 * HTTP ERROR PATHS ONLY, against a tiny fake HTTP server on 127.0.0.1 — not QuestDB, and no
 * substitute for the store contract suite (questdb.questdb.test.ts runs that against a real
 * QuestDB). The fake answers just enough (/settings, /exec DDL and WAL status, /write) to drive
 * the real `@questdb/nodejs-client` Sender and the adapter's retry and error handling.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTcpProxy } from '@ganzhi/testkit';
import { reading } from '../contract-fixtures';
import { eventually } from '../eventually';
import { createQuestDbStore, type QuestDbStore } from './questdb-store';
import { tableNames } from './sql';

interface FakeQuestDb {
  url: string;
  /** ILP bodies accepted (204), in order. */
  accepted: string[];
  writeAttempts: number;
  execQueries: string[];
  authHeaders: Array<string | undefined>;
  /** Decides the status of each POST /write (default 204). */
  writeStatus: (body: string) => number;
  execStatus: (sql: string) => number;
  /** WAL status of a table for the n-th wal_tables() poll: [writerTxn, sequencerTxn, suspended]. */
  wal: (name: string, poll: number) => [number, number, boolean];
  walPolls: number;
  /** Drops the connection without an answer for the next n /exec requests. */
  execResets: number;
  close(): Promise<void>;
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

async function startFake(): Promise<FakeQuestDb> {
  const fake = {
    accepted: [] as string[],
    writeAttempts: 0,
    execQueries: [] as string[],
    authHeaders: [] as Array<string | undefined>,
    writeStatus: (_b: string) => 204,
    execStatus: (_q: string) => 200,
    wal: (_n: string, _p: number): [number, number, boolean] => [1, 1, false],
    walPolls: 0,
    execResets: 0,
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      fake.authHeaders.push(req.headers.authorization);
      if (url.pathname === '/settings') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ config: { 'line.proto.support.versions': [1] } }));
      }
      if (url.pathname === '/write' && req.method === 'POST') {
        const text = await body(req);
        fake.writeAttempts++;
        const status = fake.writeStatus(text);
        if (status === 204) fake.accepted.push(text);
        res.writeHead(status, { 'content-type': 'application/json' });
        return res.end(status === 204 ? '' : JSON.stringify({ code: 'invalid', message: 'rejected by the fake' }));
      }
      if (url.pathname === '/exec') {
        if (fake.execResets > 0) {
          fake.execResets--;
          return req.socket.destroy();
        }
        const sql = url.searchParams.get('query') ?? '';
        fake.execQueries.push(sql);
        const status = fake.execStatus(sql);
        res.writeHead(status, { 'content-type': 'application/json' });
        if (status !== 200) return res.end(JSON.stringify({ query: sql, error: 'fake error', position: 0 }));
        if (sql.startsWith('CREATE TABLE')) return res.end('{"ddl":"OK"}');
        if (sql.includes('wal_tables()')) {
          const names = [...sql.matchAll(/name = '([^']+)'/g)].map((m) => m[1] ?? '');
          const poll = fake.walPolls++;
          return res.end(
            JSON.stringify({
              columns: ['name', 'suspended', 'writerTxn', 'sequencerTxn'].map((name) => ({ name, type: 'LONG' })),
              dataset: names.map((n) => {
                const [w, q, suspended] = fake.wal(n, poll);
                return [n, suspended, w, q];
              }),
            }),
          );
        }
        return res.end(JSON.stringify({ columns: [{ name: 'n', type: 'LONG' }], dataset: [[0]] }));
      }
      res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

const stores: QuestDbStore[] = [];
const fakes: FakeQuestDb[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function open(fake: FakeQuestDb, extra: Partial<Parameters<typeof createQuestDbStore>[0]> = {}): Promise<QuestDbStore> {
  const store = await createQuestDbStore({
    url: fake.url,
    tablePrefix: 'fake_',
    flushIntervalMs: 0,
    requestTimeoutMs: 200,
    retry: { initialMs: 20, maxMs: 100 },
    ...extra,
  });
  stores.push(store);
  return store;
}

describe('QuestDB adapter HTTP error handling (fake HTTP server, error paths only)', () => {
  it('creates both tables through /exec at open, sending the configured credentials', async () => {
    const fake = await startFake();
    fakes.push(fake);
    await open(fake, { username: 'admin', password: 'p;w' });
    const t = tableNames('fake_');
    expect(fake.execQueries.filter((q) => q.startsWith('CREATE TABLE')).map((q) => q.split(' (')[0])).toEqual([
      `CREATE TABLE IF NOT EXISTS ${t.readings}`,
      `CREATE TABLE IF NOT EXISTS ${t.alertEvents}`,
      // the fake reports no version, so rollups and retention take the jobs path: its tables
      `CREATE TABLE IF NOT EXISTS ${t.readings}_1m`,
      `CREATE TABLE IF NOT EXISTS ${t.readings}_1h`,
      `CREATE TABLE IF NOT EXISTS ${t.readings}_lifecycle`,
    ]);
    expect(fake.execQueries).toContain('SELECT build() build');
    expect(fake.authHeaders).toContain(`Basic ${Buffer.from('admin:p;w').toString('base64')}`);
  });

  it('keeps a batch through a run of 503s longer than the client’s own retries, and delivers every row once it is accepted', async () => {
    const fake = await startFake();
    fakes.push(fake);
    let failUntil = Number.POSITIVE_INFINITY;
    fake.writeStatus = () => (Date.now() < failUntil ? 503 : 204);
    const store = await open(fake, { token: 'tok' });
    failUntil = Date.now() + 700; // > requestTimeoutMs: the client gives up at least once, the adapter retries
    const batch = [0, 1, 2].map((i) => reading('fs-1', 'fire_sensor', 1_000 + i, { fill: i }));
    await store.writeReadings(batch);
    expect(store.stats().failedAttempts).toBeGreaterThanOrEqual(1);
    expect(fake.writeAttempts).toBeGreaterThan(2);
    const lines = fake.accepted.join('').trim().split('\n');
    expect(lines).toHaveLength(3 * 5); // fire_sensor has five metrics
    expect(new Set(lines).size).toBe(lines.length);
    expect(fake.authHeaders).toContain('Bearer tok');
  });

  it('rejects a write the server refuses (400) with GANZHI_ERR_STORE_QUERY and goes on with the next', async () => {
    const fake = await startFake();
    fakes.push(fake);
    fake.writeStatus = (text) => (text.includes('metric=poison') ? 400 : 204);
    const store = await open(fake);
    const bad = reading('am-1', 'air_monitor', 5, { only: ['pm25'] });
    bad.metrics['poison'] = { value: 1, unit: 'x', quality: 'N' };
    const good = reading('am-2', 'air_monitor', 5, { only: ['pm25'] });
    const results = await Promise.allSettled([store.writeReadings([bad]), store.writeReadings([good])]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: 'GANZHI_ERR_STORE_QUERY' } });
    expect(results[1]).toEqual({ status: 'fulfilled', value: undefined });
    expect(fake.accepted.join('')).toContain('device_id=am-2');
    expect(fake.accepted.join('')).not.toContain('device_id=am-1');
  });

  it('fails a query the server answers 400 with GANZHI_ERR_STORE_QUERY, and 503 with GANZHI_ERR_STORE_UNAVAILABLE', async () => {
    const fake = await startFake();
    fakes.push(fake);
    const store = await open(fake);
    fake.execStatus = (sql) => (sql.includes('LATEST ON') ? 400 : 503);
    await expect(store.latest()).rejects.toMatchObject({ code: 'GANZHI_ERR_STORE_QUERY', retryable: false });
    await expect(store.countReadings()).rejects.toMatchObject({ code: 'GANZHI_ERR_STORE_UNAVAILABLE', retryable: true });
  });

  it('resolves a write only once the WAL status shows its commit applied, and stops waiting on a suspended table', async () => {
    const fake = await startFake();
    fakes.push(fake);
    fake.wal = (_n, poll) => [poll < 3 ? 6 : 7, 7, false]; // writerTxn catches up on the 4th poll
    const store = await open(fake);
    await store.writeReadings([reading('rg-1', 'river_gauge', 1, { only: ['flow'] })]);
    expect(fake.walPolls).toBe(4);

    fake.walPolls = 0;
    fake.wal = () => [6, 9, true];
    await store.writeReadings([reading('rg-1', 'river_gauge', 2, { only: ['flow'] })]);
    expect(fake.walPolls).toBe(1); // behind and suspended: the rows are durable, so it does not wait (it logs)
  });

  it('re-sends a query once when the connection is reset before any answer, and fails a second reset as unavailable', async () => {
    const fake = await startFake();
    fakes.push(fake);
    const store = await open(fake);
    fake.execResets = 1;
    expect(await store.countReadings()).toBe(0);
    fake.execResets = 2;
    await expect(store.countReadings()).rejects.toMatchObject({ code: 'GANZHI_ERR_STORE_UNAVAILABLE' });
  });

  it('holds a stream through a connection outage (TCP proxy cut), acknowledging nothing meanwhile, and delivers every row when it returns', async () => {
    const fake = await startFake();
    fakes.push(fake);
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(fake.url).port) });
    const store = await open({ ...fake, url: `http://127.0.0.1:${proxy.port}` }, { flushIntervalMs: 10, requestTimeoutMs: 300 });
    try {
      let resolved = 0;
      const done = (async () => {
        for (let i = 0; i < 30; i++) {
          await store.writeReadings([0, 1, 2, 3, 4].map((k) => reading('pd-1', 'port_device', 10_000 * i + k, { fill: i })));
          resolved++;
        }
      })();
      await eventually(() => expect(resolved).toBeGreaterThanOrEqual(5), { timeoutMs: 10_000 });
      await proxy.cut();
      const failed = store.stats().failedAttempts;
      await eventually(() => expect(store.stats().failedAttempts).toBeGreaterThanOrEqual(failed + 2), { timeoutMs: 10_000 });
      const frozen = resolved;
      expect(store.stats().pendingRows).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 200));
      expect(resolved).toBe(frozen);
      await proxy.restore();
      await done;
      // every row arrived; a request cut after the server took it may have been sent twice (QuestDB dedups)
      const lines = new Set(fake.accepted.join('').trim().split('\n'));
      expect(lines.size).toBe(30 * 5 * 4);
      expect(store.stats().pendingRows).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it('fails to open with GANZHI_ERR_STORE_UNAVAILABLE when nothing listens, after its bounded retries', async () => {
    const fake = await startFake();
    const url = fake.url;
    await fake.close(); // the port is free now: connections are refused
    await expect(
      createQuestDbStore({ url, openAttempts: 2, retry: { initialMs: 10, maxMs: 10 }, requestTimeoutMs: 500 }),
    ).rejects.toMatchObject({ code: 'GANZHI_ERR_STORE_UNAVAILABLE' });
  });
});
