import { writeFile } from 'node:fs/promises';
import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { decodeHj212, encodeHj212, formatHj212Time } from '@ganzhi/codecs';
import { hashSecret, parseRegistry } from '@ganzhi/registry';
import { LOAD_SCRYPT } from '@ganzhi/simulators';
import { emptyHistogram, percentile, record, type Histogram } from '../lib/hist';
import { BENCH_OPERATOR } from '../lib/registry';
import { startPipeline, type PipelineTargetOptions } from '../lib/targets';

/*
 * HJ 212 over TCP beside MQTT JSON, on one pipeline (fsync): the same number of air monitors,
 * each with the same window of reports in flight, closed loop for the same time. An HJ 212 data
 * logger sends frames asking for an answer (Flag=5) and counts CN 9014 answers; an MQTT monitor
 * publishes JSON at QoS 1 and counts PUBACKs. Both answers mean "durably on the bus".
 */

export interface LinkRow {
  readonly transport: string;
  readonly connections: number;
  readonly window: number;
  readonly seconds: number;
  readonly acked: number;
  readonly perSec: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
}

export interface Hj212Result {
  readonly rows: LinkRow[];
}

export interface Hj212Options {
  readonly dir: string;
  readonly connections: number;
  readonly window: number;
  readonly seconds: number;
  readonly settleMs: number;
  readonly log: (line: string) => void;
}

const pw = (id: string) => `bench-${id}`;

async function writeRegistry(dir: string, n: number): Promise<string> {
  const secret = await hashSecret(BENCH_OPERATOR.password, LOAD_SCRYPT);
  const devices = [];
  for (let i = 0; i < n; i++) {
    for (const [prefix, format] of [['hj', 'hj212'], ['js', 'json']] as const) {
      const id = `${prefix}-${String(i).padStart(5, '0')}`;
      devices.push({ id, kind: 'air_monitor', site: `bench-site-${i % 50}`, format, reportIntervalSec: 3600, secret: await hashSecret(pw(id), LOAD_SCRYPT), attributes: format === 'hj212' ? { mn: `BENCHMN${id}`, crc: 'hj212' } : {} });
    }
  }
  const doc = { demo: true, devices, operators: [{ id: BENCH_OPERATOR.user, roles: ['operator', 'admin'], secret }] };
  parseRegistry(doc, 'hj212 bench registry');
  const file = join(dir, `registry-hj212-${n}.json`);
  await writeFile(file, JSON.stringify(doc));
  return file;
}

interface Loop {
  acked: number;
  readonly hist: Histogram;
  counting: boolean;
  stop: boolean;
}

/** One data logger: keeps `window` frames in flight, each answered by a CN 9014 naming its QN. */
async function hj212Logger(port: number, index: number, window: number, loop: Loop): Promise<Socket> {
  const id = `hj-${String(index).padStart(5, '0')}`;
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = tcpConnect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  const sentAt = new Map<string, number>();
  let seq = 0;
  let rx: Buffer = Buffer.alloc(0);
  const base = Date.now() - 3_600_000;
  const send = () => {
    if (loop.stop || socket.destroyed) return;
    const ts = base + index + seq++ * 1000; // one DataTime per report and logger
    const QN = formatHj212Time(ts, true);
    sentAt.set(QN, performance.now());
    socket.write(encodeHj212({ QN, ST: '22', CN: '2011', PW: pw(id), MN: `BENCHMN${id}`, Flag: 5, cp: { fields: { DataTime: formatHj212Time(ts) }, pollutants: { a34004: { Rtd: 20 + (seq % 50), Flag: 'N' } } } }));
  };
  socket.on('data', (d: Buffer) => {
    rx = rx.length ? Buffer.concat([rx, d]) : d;
    let at = 0;
    for (;;) {
      const f = decodeHj212(rx, at);
      if (!f.ok) break;
      at = f.value.end;
      const t = sentAt.get(f.value.frame.QN ?? '');
      if (t === undefined || f.value.frame.CN !== '9014') continue;
      sentAt.delete(f.value.frame.QN!);
      if (loop.counting) {
        loop.acked++;
        record(loop.hist, performance.now() - t);
      }
      send();
    }
    rx = rx.subarray(at);
  });
  for (let i = 0; i < window; i++) send();
  return socket;
}

/** One MQTT air monitor publishing JSON at QoS 1 with `window` in flight. */
async function mqttMonitor(port: number, index: number, window: number, loop: Loop): Promise<MqttClient> {
  const id = `js-${String(index).padStart(5, '0')}`;
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: id, password: pw(id), clientId: `${id}-bench`, reconnectPeriod: 0 });
  client.on('error', () => undefined);
  let seq = 0;
  const base = Date.now() - 3_600_000;
  const send = () => {
    if (loop.stop || !client.connected) return;
    const began = performance.now();
    client.publish(`devices/${id}/telemetry`, JSON.stringify({ ts: base + index + seq++ * 1000, pm25: 20 + (seq % 50) }), { qos: 1 }, (err) => {
      if (!err && loop.counting) {
        loop.acked++;
        record(loop.hist, performance.now() - began);
      }
      if (!err) send();
    });
  };
  for (let i = 0; i < window; i++) send();
  return client;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function measure(name: string, o: Hj212Options, start: (loop: Loop) => Promise<() => Promise<void>>): Promise<LinkRow> {
  const loop: Loop = { acked: 0, hist: emptyHistogram(), counting: false, stop: false };
  const stop = await start(loop);
  await sleep(o.settleMs);
  loop.counting = true;
  const t0 = performance.now();
  await sleep(o.seconds * 1000);
  loop.counting = false;
  const seconds = (performance.now() - t0) / 1000;
  loop.stop = true;
  await stop();
  const row = { transport: name, connections: o.connections, window: o.window, seconds, acked: loop.acked, perSec: loop.acked / seconds, p50Ms: percentile(loop.hist, 50), p99Ms: percentile(loop.hist, 99) };
  o.log(`  ${name}: ${Math.round(row.perSec)} acknowledged/s (${row.acked} in ${seconds.toFixed(1)} s)`);
  return row;
}

export async function runHj212Tcp(o: Hj212Options, pipeline: Omit<PipelineTargetOptions, 'registryFile' | 'operator' | 'hj212'>): Promise<Hj212Result> {
  const registryFile = await writeRegistry(o.dir, o.connections);
  const target = await startPipeline({ ...pipeline, registryFile, operator: BENCH_OPERATOR, hj212: true });
  const hj212Port = target.hj212Port!;
  try {
    const rows: LinkRow[] = [];
    rows.push(
      await measure('MQTT JSON (QoS 1 PUBACK)', o, async (loop) => {
        const clients = await Promise.all(Array.from({ length: o.connections }, (_, i) => mqttMonitor(target.port, i, o.window, loop)));
        return async () => void (await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined))));
      }),
    );
    rows.push(
      await measure('HJ 212 over TCP (CN 9014)', o, async (loop) => {
        const sockets = await Promise.all(Array.from({ length: o.connections }, (_, i) => hj212Logger(hj212Port, i, o.window, loop)));
        return async () => {
          for (const s of sockets) s.destroy();
        };
      }),
    );
    return { rows };
  } finally {
    await target.stop();
  }
}
