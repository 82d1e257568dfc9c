import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '@ganzhi/testkit';
import { eventually } from './helpers/pipeline';
import { freePort, startTs, type Child } from './helpers/process';
import { startFakeQuestDb } from './helpers/questdb-fake';
import { scrape } from './helpers/prom';

/**
 * Readiness follows the store: the writer service (its own process, on the QuestDB store) is
 * ready while QuestDB answers, not ready while it is unreachable (a TCP proxy in front of it is
 * cut: connection refused, open sockets reset), and ready again once it is back; liveness stays
 * up throughout. The QuestDB is QUESTDB_URL's when set, else a small fake HTTP peer on loopback.
 */
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

describe('readiness', () => {
  it('is false while the store is unreachable and true after, with /healthz up throughout', async () => {
    let target: { host: string; port: number };
    if (process.env.QUESTDB_URL) {
      const u = new URL(process.env.QUESTDB_URL);
      target = { host: u.hostname, port: Number(u.port || 9000) };
      console.info(`readiness: against QUESTDB_URL=${process.env.QUESTDB_URL}`);
    } else {
      const fake = await startFakeQuestDb();
      cleanups.push(fake.close);
      target = { host: '127.0.0.1', port: fake.port };
      console.info('readiness: QUESTDB_URL not set, against a fake QuestDB HTTP peer on loopback');
    }
    const proxy: TcpProxy = await startTcpProxy(target);
    cleanups.push(() => proxy.close());
    const dir = await mkdtemp(join(tmpdir(), 'ganzhi-ready-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const opsPort = await freePort();
    const writer: Child = startTs('services/writer/src/main.ts', {
      GANZHI_DATA_DIR: dir,
      GANZHI_STORE: 'questdb',
      QUESTDB_URL: `http://127.0.0.1:${proxy.port}`,
      GANZHI_OPS_HOST: '127.0.0.1',
      GANZHI_OPS_PORT: String(opsPort),
      GANZHI_LOG_LEVEL: 'warn',
    });
    cleanups.push(async () => {
      writer.proc.kill('SIGTERM');
      await writer.exited;
    });
    const ops = (path: string) => fetch(`http://127.0.0.1:${opsPort}${path}`);
    const readyz = async () => {
      const res = await ops('/readyz');
      return { status: res.status, body: (await res.json()) as { ready: boolean; checks: Record<string, boolean> } };
    };
    const waitFor = (status: number, what: string) =>
      eventually(async () => (await readyz().catch(() => undefined))?.status === status, 60_000, what).catch((err: Error) => {
        throw new Error(`${err.message}\n${writer.output()}`);
      });

    await waitFor(200, 'ready with the store up');
    expect((await readyz()).body).toMatchObject({ ready: true, checks: { started: true, store: true } });

    await proxy.cut();
    await waitFor(503, 'not ready while the store is unreachable');
    expect((await readyz()).body).toMatchObject({ ready: false, checks: { started: true, store: false } });
    expect((await ops('/healthz')).status).toBe(200);
    const down = await scrape(`http://127.0.0.1:${opsPort}/metrics`);
    expect(down.value('ganzhi_store_up')).toBe(0);
    expect(down.value('ganzhi_ready')).toBe(0);

    await proxy.restore();
    await waitFor(200, 'ready again once the store is back');
    const up = await scrape(`http://127.0.0.1:${opsPort}/metrics`);
    expect(up.value('ganzhi_store_up')).toBe(1);
    expect(up.value('ganzhi_ready')).toBe(1);
  });
});
