import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, end } from './helpers/mqtt';
import { eventually } from './helpers/pipeline';
import { type Child, freePort, startAllInOneOn } from './helpers/process';

const children: Child[] = [];
let dir = '';
afterAll(async () => {
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function startGanzhi(env: Record<string, string>): Promise<Child> {
  const child = await startAllInOneOn(env, [Number(env.GANZHI_MQTT_PORT), Number(env.GANZHI_HTTP_PORT)]);
  children.push(child);
  return child;
}

describe('QoS 1 is a promise', () => {
  it('keeps every PUBACKed message, exactly once, across a SIGKILL in the middle of a stream', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ganzhi-crash-'));
    const env = {
      GANZHI_DATA_DIR: dir,
      GANZHI_MQTT_HOST: '127.0.0.1',
      GANZHI_MQTT_PORT: String(await freePort()),
      GANZHI_MQTT_WS_PORT: String(await freePort()),
      GANZHI_HTTP_PORT: String(await freePort()),
      GANZHI_LOG_LEVEL: 'warn',
    };
    const url = `mqtt://127.0.0.1:${env.GANZHI_MQTT_PORT}`;
    const first = await startGanzhi(env);

    // A QoS 1 stream with a window of 64 in flight; each message has its own timestamp.
    const base = Date.UTC(2026, 10, 1);
    const total = 3000;
    const acked = new Set<number>();
    const device = await connect(url, 'air-001', undefined, { reconnectPeriod: 0 });
    device.on('error', () => undefined);
    let next = 0;
    let killed = false;
    await new Promise<void>((resolve) => {
      const deadline = setTimeout(resolve, 30_000);
      const pump = () => {
        while (!killed && next < total && next - acked.size < 64) {
          const i = next++;
          device.publish('devices/air-001/telemetry', JSON.stringify({ ts: base + i * 1000, pm25: i % 500 }), { qos: 1 }, (err) => {
            if (err) return;
            acked.add(i);
            if (!killed && acked.size >= 400) {
              killed = true;
              first.proc.kill('SIGKILL'); // mid-stream: more messages are in flight right now
              clearTimeout(deadline);
              setTimeout(resolve, 200);
              return;
            }
            pump();
          });
        }
      };
      pump();
    });
    expect(killed).toBe(true);
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    await end(device);
    const sentBeforeKill = next;
    expect(sentBeforeKill).toBeGreaterThan(acked.size); // some were unacknowledged when it died

    // Restart on the same data directory: the stages resume from their committed positions.
    const second = await startGanzhi(env);
    const headers = { authorization: `Basic ${Buffer.from('op-admin:demo-op-admin').toString('base64')}` };
    const query = `${`http://127.0.0.1:${env.GANZHI_HTTP_PORT}`}/api/readings/range?deviceId=air-001&metric=pm25&from=${base}&to=${base + total * 1000}&bucketMs=1000`;
    const buckets = await eventually(
      async () => {
        const res = await fetch(query, { headers });
        const body = (await res.json()) as { buckets: { ts: number; count: number }[] };
        const seen = new Set(body.buckets.map((b) => (b.ts - base) / 1000));
        return [...acked].every((i) => seen.has(i)) && body.buckets;
      },
      60_000,
      'every acknowledged message to be stored',
    );
    const byIndex = new Map(buckets.map((b) => [(b.ts - base) / 1000, b.count]));
    console.info(`crash-recovery: sent ${sentBeforeKill}, PUBACKed ${acked.size} before SIGKILL; stored after restart ${byIndex.size}`);
    for (const i of acked) expect(byIndex.get(i), `message ${i}`).toBe(1);
    // nothing appears that was never sent
    expect(Math.max(...byIndex.keys())).toBeLessThan(sentBeforeKill);

    second.proc.kill('SIGTERM');
    expect(await second.exited).toMatchObject({ code: 0 });
  }, 180_000);
});
