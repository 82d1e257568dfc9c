import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeGbt26875Frame,
  decodeHj212,
  decodeSl651Frame,
  encodeGbt26875App,
  encodeGbt26875Frame,
  encodeHj212,
  encodeSl651,
  formatHj212Time,
  sl651Serial,
} from '@ganzhi/codecs';
import { connectLink, type LinkClient } from './helpers/links';
import { eventually } from './helpers/pipeline';
import { type Child, freePort, startAllInOneOn } from './helpers/process';

/*
 * The acknowledgement of every protocol listener is a promise: a frame answered positively (HJ 212
 * CN 9014, SL 651 ESC, GB/T 26875.3 confirm) is on the bus, so it is stored, once, even when the
 * pipeline is SIGKILLed in the middle of the three streams. Devices of deploy/demo/registry.json:
 * air-003 (HJ 212 data logger), gauge-003 (SL 651 RTU, password 1234), uitd-001 (GB/T 26875.3 UITD,
 * peers 127.0.0.1).
 */

const BASE = Date.UTC(2026, 10, 1);
const TOTAL = 3000;
const WINDOW = 32;

interface Stream {
  readonly name: string;
  readonly port: string;
  /** Frame `i`, and the key its answer names it by. */
  frame(i: number): { bytes: Buffer; key: string };
  /** The next complete answer at `at` in `rx`: its end, its key when it is positive. */
  answer(rx: Buffer, at: number): { end: number; key?: string } | undefined;
  /** Where frame `i` is stored: the readings API query and the time of its reading. */
  readonly deviceId: string;
  readonly metric: string;
  readonly stepMs: number;
}

const STREAMS: Stream[] = [
  {
    name: 'HJ 212',
    port: 'GANZHI_HJ212_PORT',
    deviceId: 'air-003',
    metric: 'pm25',
    stepMs: 1000,
    frame(i) {
      const QN = formatHj212Time(BASE + i * 1000, true);
      const MN = 'GZ440300AIR0000000000003';
      const cp = { fields: { DataTime: formatHj212Time(BASE + i * 1000) }, pollutants: { a34004: { Rtd: i % 500, Flag: 'N' } } };
      return { bytes: Buffer.from(encodeHj212({ QN, ST: '22', CN: '2011', PW: 'demo-air-003', MN, Flag: 5, cp })), key: QN };
    },
    answer(rx, at) {
      const d = decodeHj212(rx, at);
      if (!d.ok) return undefined;
      return { end: d.value.end, ...(d.value.frame.CN === '9014' ? { key: d.value.frame.QN } : {}) };
    },
  },
  {
    name: 'SL 651',
    port: 'GANZHI_SL651_PORT',
    deviceId: 'gauge-003',
    metric: 'waterLevel',
    stepMs: 60_000,
    frame(i) {
      const at = BASE + i * 60_000;
      const bytes = encodeSl651({ centre: 1, station: '0012345003', password: '1234', funcCode: 0x32, serial: i + 1, sendTime: at, groups: [{ obsTime: at, elements: [{ id: 'Z', value: 2 + (i % 100) / 100 }] }] });
      return { bytes, key: String(i + 1) };
    },
    answer(rx, at) {
      const d = decodeSl651Frame(rx, at);
      if (!d.ok) return undefined;
      const f = d.value.frame;
      return { end: d.value.end, ...(f.crcValid && f.endChar === 'ESC' ? { key: String(sl651Serial(f)) } : {}) };
    },
  },
  {
    name: 'GB/T 26875.3',
    port: 'GANZHI_GBT26875_TCP_PORT',
    deviceId: 'uitd-001',
    metric: 'temperature',
    stepMs: 1000,
    frame(i) {
      const time = BASE + i * 1000;
      const appData = encodeGbt26875App([{ type: 'componentAnalog', system: { type: 1, address: 1 }, component: { type: 31, address: 7 }, analogType: 3, raw: 200 + (i % 100), time }]);
      return { bytes: encodeGbt26875Frame({ serial: i + 1, time, source: '000000000701', destination: '000000000001', command: 'send', appData }), key: String(i + 1) };
    },
    answer(rx, at) {
      const d = decodeGbt26875Frame(rx, at);
      if (!d.ok) return undefined;
      const f = d.value.frame;
      return { end: d.value.end, ...(f.checksumValid && f.command === 'confirm' ? { key: String(f.serial) } : {}) };
    },
  },
];

/** One device's stream: up to WINDOW frames in flight, every answer recorded by frame index. */
interface Run {
  readonly stream: Stream;
  readonly client: LinkClient;
  readonly acked: Set<number>;
  readonly indexOf: Map<string, number>;
  next: number;
  parsed: number;
}

const children: Child[] = [];
let dir = '';
afterAll(async () => {
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function startGanzhi(env: Record<string, string>): Promise<Child> {
  const child = await startAllInOneOn(env, [...STREAMS.map((s) => Number(env[s.port])), Number(env.GANZHI_HTTP_PORT)]);
  children.push(child);
  return child;
}

describe('the acknowledgements of HJ 212, SL 651 and GB/T 26875.3 are promises', () => {
  it('keep every answered frame, exactly once, across a SIGKILL in the middle of three TCP streams', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ganzhi-links-crash-'));
    const env: Record<string, string> = {
      GANZHI_DATA_DIR: dir,
      GANZHI_MQTT_HOST: '127.0.0.1',
      GANZHI_MQTT_PORT: String(await freePort()),
      GANZHI_MQTT_WS_PORT: String(await freePort()),
      GANZHI_HTTP_PORT: String(await freePort()),
      GANZHI_LOG_LEVEL: 'warn',
    };
    for (const s of STREAMS) env[s.port] = String(await freePort());
    env.GANZHI_GBT26875_UDP_PORT = 'off';
    const first = await startGanzhi(env);

    const runs: Run[] = [];
    for (const stream of STREAMS) runs.push({ stream, client: await connectLink(Number(env[stream.port])), acked: new Set(), indexOf: new Map(), next: 0, parsed: 0 });
    let killed = false;
    await new Promise<void>((resolve) => {
      const deadline = setTimeout(resolve, 90_000);
      const pump = (r: Run) => {
        const out: Buffer[] = [];
        while (!killed && r.next < TOTAL && r.next - r.acked.size < WINDOW) {
          const f = r.stream.frame(r.next);
          r.indexOf.set(f.key, r.next++);
          out.push(f.bytes);
        }
        if (out.length > 0) r.client.send(Buffer.concat(out));
      };
      for (const r of runs) {
        void r.client
          .waitFor(
            (rx) => {
              for (let a = r.stream.answer(rx, r.parsed); a !== undefined; a = r.stream.answer(rx, r.parsed)) {
                r.parsed = a.end;
                if (a.key !== undefined && r.indexOf.has(a.key)) r.acked.add(r.indexOf.get(a.key)!);
              }
              // every stream well under way: kill the pipeline with frames in flight on each
              if (!killed && runs.every((x) => x.acked.size >= 100)) {
                killed = true;
                first.proc.kill('SIGKILL');
                clearTimeout(deadline);
                setTimeout(resolve, 200);
              }
              if (killed) return true;
              pump(r);
              return false;
            },
            90_000,
          )
          .catch(() => undefined);
        pump(r);
      }
    });
    expect(killed).toBe(true);
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    for (const r of runs) r.client.end();

    const second = await startGanzhi(env);
    const headers = { authorization: `Basic ${Buffer.from('op-admin:demo-op-admin').toString('base64')}` };
    for (const r of runs) {
      const { deviceId, metric, stepMs, name } = r.stream;
      const sent = r.next;
      expect(sent, name).toBeGreaterThan(r.acked.size); // some were unanswered when it died
      const query = `http://127.0.0.1:${env.GANZHI_HTTP_PORT}/api/readings/range?deviceId=${deviceId}&metric=${metric}&from=${BASE}&to=${BASE + TOTAL * stepMs}&bucketMs=${stepMs}`;
      const buckets = await eventually(
        async () => {
          const res = await fetch(query, { headers });
          const body = (await res.json()) as { buckets: { ts: number; count: number }[] };
          const seen = new Set(body.buckets.map((b) => (b.ts - BASE) / stepMs));
          return [...r.acked].every((i) => seen.has(i)) && body.buckets;
        },
        60_000,
        `every answered ${name} frame to be stored`,
      );
      const byIndex = new Map(buckets.map((b) => [(b.ts - BASE) / stepMs, b.count]));
      console.info(`links-crash ${name}: sent ${sent}, answered ${r.acked.size} before SIGKILL; stored after restart ${byIndex.size}`);
      for (const i of r.acked) expect(byIndex.get(i), `${name} frame ${i}`).toBe(1);
      expect(Math.max(...byIndex.keys()), name).toBeLessThan(sent);
    }

    second.proc.kill('SIGTERM');
    expect(await second.exited).toMatchObject({ code: 0 });
  }, 240_000);
});
