import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, end, publish } from './helpers/mqtt';
import { eventually } from './helpers/pipeline';
import { freePort, startTs, waitForPort, type Child } from './helpers/process';
import { startPeer } from './helpers/receivers';

const children: Child[] = [];
let dir = '';
let peer: Awaited<ReturnType<typeof startPeer>> | undefined;
afterAll(async () => {
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  await peer?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const LANES = 6;

describe('notifications across a SIGKILL', () => {
  it('delivers every notification at least once, and the receiver handles each idempotency key once', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ganzhi-notify-crash-'));
    // The receiver answers slowly, so that deliveries are in flight when the pipeline dies; it
    // handles each idempotency key once (the contract of the generic webhook).
    const handled = new Map<string, number>();
    const received: string[] = [];
    peer = await startPeer(async (r) => {
      const key = String(r.headers['idempotency-key']);
      received.push(key);
      await new Promise((res) => setTimeout(res, 120));
      if (!handled.has(key)) handled.set(key, handled.size);
      return { status: 200, body: { ok: true } };
    });
    await writeFile(
      join(dir, 'routes.json'),
      JSON.stringify({
        version: 1,
        receivers: Array.from({ length: LANES }, (_, i) => ({ id: `r${i}`, type: 'webhook', url: peer!.url(`/r${i}`) })),
        route: { groupWaitSec: 0, to: Array.from({ length: LANES }, (_, i) => `r${i}`) },
      }),
    );
    const env = {
      GANZHI_DATA_DIR: join(dir, 'data'),
      GANZHI_MQTT_HOST: '127.0.0.1',
      GANZHI_MQTT_PORT: String(await freePort()),
      GANZHI_MQTT_WS_PORT: String(await freePort()),
      GANZHI_HTTP_PORT: String(await freePort()),
      GANZHI_LOG_LEVEL: 'warn',
      GANZHI_NOTIFY_ROUTES_FILE: join(dir, 'routes.json'),
      GANZHI_NOTIFY_RETRY_INITIAL_MS: '50',
    };
    const start = async () => {
      const child = startTs('services/all/src/main.ts', env);
      children.push(child);
      await waitForPort(Number(env.GANZHI_MQTT_PORT), child);
      await waitForPort(Number(env.GANZHI_HTTP_PORT), child);
      return child;
    };
    const first = await start();

    // A river rising through every grade: each change notifies all six receivers.
    const gauge = await connect(`mqtt://127.0.0.1:${env.GANZHI_MQTT_PORT}`, 'gauge-001', undefined, { reconnectPeriod: 0 });
    gauge.on('error', () => undefined);
    const t0 = Date.now() - 3_600_000;
    for (const [i, level] of [12.3, 12.6, 14.1, 15.5].entries()) {
      await publish(gauge, 'devices/gauge-001/telemetry', JSON.stringify({ ts: t0 + i * 600_000, waterLevel: level }));
    }
    await eventually(() => received.length >= 8, 30_000, 'deliveries to begin');
    first.proc.kill('SIGKILL');
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    const beforeKill = received.length;
    await end(gauge);

    // Restart on the same data directory: the outbox resumes what was not delivered.
    const second = await start();
    const headers = { authorization: `Basic ${Buffer.from('op-admin:demo-op-admin').toString('base64')}` };
    const api = `http://127.0.0.1:${env.GANZHI_HTTP_PORT}`;
    const outbox = await eventually(
      async () => {
        const { alerts } = (await (await fetch(`${api}/api/alerts?deviceId=gauge-001`, { headers })).json()) as { alerts: { alertId: string }[] };
        const all = new Map<string, string>();
        for (const a of alerts) {
          const body = (await (await fetch(`${api}/api/alerts/${encodeURIComponent(a.alertId)}/notifications`, { headers })).json()) as { notifications: { id: string; status: string }[] };
          for (const n of body.notifications) all.set(n.id, n.status);
        }
        // settled: all created so far are delivered, and the receiver has handled exactly those
        const settled = all.size >= 4 * LANES && [...all.values()].every((s) => s === 'delivered') && handled.size === all.size;
        return settled && all;
      },
      60_000,
      'every notification to be delivered and handled',
    );
    const ids = new Set(outbox.keys());
    console.info(`notify-crash: ${beforeKill} requests before SIGKILL, ${received.length} in all, ${ids.size} notifications, ${handled.size} handled`);
    expect(beforeKill).toBeLessThan(ids.size); // the kill came mid-delivery
    // at least once: every notification reached the receiver, and nothing else did
    expect(new Set(handled.keys())).toEqual(ids);
    // what was recorded as delivered before the kill is not sent again: only the attempts in
    // flight when it died (at most one per receiver lane) can arrive twice
    expect(received.length - ids.size).toBeLessThanOrEqual(LANES);

    second.proc.kill('SIGTERM');
    expect(await second.exited).toMatchObject({ code: 0 });
  }, 180_000);
});
