import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeHj212, encodeHj212, formatHj212Time } from '@ganzhi/codecs';
import { connectLink } from './helpers/links';
import { eventually } from './helpers/pipeline';
import { type Child, freePort, startAllInOneOn } from './helpers/process';

// deploy/demo/registry.json: air-003 is an HJ 212 data logger on TCP (MN and PW below)
const MN = 'GZ440300AIR0000000000003';
const PW = 'demo-air-003';

const children: Child[] = [];
let dir = '';
afterAll(async () => {
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function startGanzhi(env: Record<string, string>): Promise<Child> {
  const child = await startAllInOneOn(env, [Number(env.GANZHI_HJ212_PORT), Number(env.GANZHI_HTTP_PORT)]);
  children.push(child);
  return child;
}

describe('an HJ 212 data answer (CN 9014) is a promise', () => {
  it('keeps every answered frame, exactly once, across a SIGKILL in the middle of a TCP stream', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ganzhi-hj212-crash-'));
    const env = {
      GANZHI_DATA_DIR: dir,
      GANZHI_MQTT_HOST: '127.0.0.1',
      GANZHI_MQTT_PORT: String(await freePort()),
      GANZHI_MQTT_WS_PORT: String(await freePort()),
      GANZHI_HTTP_PORT: String(await freePort()),
      GANZHI_HJ212_PORT: String(await freePort()),
      GANZHI_LOG_LEVEL: 'warn',
    };
    const first = await startGanzhi(env);

    // A data logger with up to 32 frames in flight, each asking for an answer (Flag=5), each with
    // its own DataTime; an answer names its frame by QN.
    const base = Date.UTC(2026, 10, 1);
    const total = 3000;
    const qnOf = new Map<string, number>();
    const frame = (i: number) => {
      const QN = formatHj212Time(base + i * 1000, true);
      qnOf.set(QN, i);
      return encodeHj212({ QN, ST: '22', CN: '2011', PW, MN, Flag: 5, cp: { fields: { DataTime: formatHj212Time(base + i * 1000) }, pollutants: { a34004: { Rtd: i % 500, Flag: 'N' } } } });
    };
    const acked = new Set<number>();
    const logger = await connectLink(Number(env.GANZHI_HJ212_PORT));
    let next = 0;
    let parsed = 0;
    let killed = false;
    await new Promise<void>((resolve) => {
      const deadline = setTimeout(resolve, 60_000);
      const pump = () => {
        let batch = '';
        while (!killed && next < total && next - acked.size < 32) batch += frame(next++);
        if (batch) logger.send(batch);
      };
      void logger.waitFor(
        (rx) => {
          for (;;) {
            const d = decodeHj212(rx, parsed);
            if (!d.ok) break;
            parsed = d.value.end;
            if (d.value.frame.CN === '9014') acked.add(qnOf.get(d.value.frame.QN ?? '')!);
          }
          if (!killed && acked.size >= 400) {
            killed = true;
            first.proc.kill('SIGKILL'); // mid-stream: more frames are in flight right now
            clearTimeout(deadline);
            setTimeout(resolve, 200);
            return true;
          }
          pump();
          return false;
        },
        60_000,
      ).catch(() => undefined);
      pump();
    });
    expect(killed).toBe(true);
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    logger.end();
    const sentBeforeKill = next;
    expect(sentBeforeKill).toBeGreaterThan(acked.size); // some were unanswered when it died

    const second = await startGanzhi(env);
    const headers = { authorization: `Basic ${Buffer.from('op-admin:demo-op-admin').toString('base64')}` };
    const query = `http://127.0.0.1:${env.GANZHI_HTTP_PORT}/api/readings/range?deviceId=air-003&metric=pm25&from=${base}&to=${base + total * 1000}&bucketMs=1000`;
    const buckets = await eventually(
      async () => {
        const res = await fetch(query, { headers });
        const body = (await res.json()) as { buckets: { ts: number; count: number }[] };
        const seen = new Set(body.buckets.map((b) => (b.ts - base) / 1000));
        return [...acked].every((i) => seen.has(i)) && body.buckets;
      },
      60_000,
      'every answered frame to be stored',
    );
    const byIndex = new Map(buckets.map((b) => [(b.ts - base) / 1000, b.count]));
    console.info(`hj212-crash: sent ${sentBeforeKill}, answered ${acked.size} before SIGKILL; stored after restart ${byIndex.size}`);
    for (const i of acked) expect(byIndex.get(i), `frame ${i}`).toBe(1);
    expect(Math.max(...byIndex.keys())).toBeLessThan(sentBeforeKill);

    second.proc.kill('SIGTERM');
    expect(await second.exited).toMatchObject({ code: 0 });
  }, 180_000);
});
