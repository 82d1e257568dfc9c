import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createEmbeddedBus, type Bus, type EmbeddedBus } from '@ganzhi/bus';
import {
  COMPONENT_STATE_BITS,
  decodeGbt26875Frame,
  decodeHj212,
  decodeSl651AsciiFrame,
  decodeSl651Frame,
  encodeGbt26875App,
  encodeGbt26875Frame,
  encodeHj212,
  encodeSl651,
  encodeSl651Ascii,
  formatHj212Time,
  gbt26875Bits,
  sl651AsciiSerial,
  sl651Serial,
} from '@ganzhi/codecs';
import { buildGateway, loadGatewayConfig, type Gateway } from '@ganzhi/gateway';
import { silentLogger } from '@ganzhi/log';
import { hashSecret, loadRegistryFile, type Registry } from '@ganzhi/registry';
import type { RawEnvelope } from '@ganzhi/schemas';
import { connectLink, connectUdp, watchBus, type LinkClient } from './links';
import { eventually } from './pipeline';

/*
 * The protocol-listener tests' shared ground: a registry with one device per protocol, a gateway
 * with every listener on a free port over an embedded bus, a consumer group watching what reaches
 * the bus, the frames those devices send and readers for the answers they get.
 */

const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };
export const MN = 'GZTEST0000000001';
export const STATION = '0012345678';
/** An SL 651 station registered for ASCII mode only (`sl651Encoding: "ascii"`). */
export const ASCII_STATION = '0012345679';
export const UITD = '0000000000A1';
export const T0 = Date.UTC(2026, 10, 1, 0, 0, 0);

async function writeRegistry(path: string): Promise<void> {
  const dev = async (id: string, kind: string, format: string, secret: string, attributes: Record<string, string>) => ({
    id,
    kind,
    format,
    site: `site-${id}`,
    reportIntervalSec: 600,
    secret: await hashSecret(secret, TEST_SCRYPT),
    attributes,
  });
  await writeFile(
    path,
    JSON.stringify({
      devices: [
        await dev('logger-1', 'air_monitor', 'hj212', '123456', { mn: MN }),
        await dev('rtu-1', 'river_gauge', 'sl651', '1234', { station: STATION }),
        await dev('rtu-ascii', 'river_gauge', 'sl651', '4321', { station: ASCII_STATION, sl651Encoding: 'ascii' }),
        await dev('uitd-1', 'fire_sensor', 'gbt26875', 'unused-uitd-1', { address: UITD, peers: '127.0.0.1' }),
        await dev('uitd-2', 'fire_sensor', 'gbt26875', 'unused-uitd-2', { address: '0000000000A2', peers: '10.0.0.0/8' }),
      ],
    }),
  );
}

export interface LinksContext {
  readonly dir: string;
  readonly registry: Registry;
  readonly bus: Bus;
  readonly gateway: Gateway;
  readonly watch: Awaited<ReturnType<typeof watchBus>>;
  /** Starts another gateway (every listener on a free port) on `bus`; the caller closes it. */
  startGateway(bus: Bus, env?: Record<string, string>): Promise<Gateway>;
  /** A device connection to `port` (TCP, or UDP), ended after the file. */
  link(port: number | undefined, udp?: boolean): Promise<LinkClient>;
  telemetryOf(deviceId: string): RawEnvelope[];
  statusOf(deviceId: string): string[];
  /** Dead letters the gateway wrote for one protocol. */
  deadOf(protocol: 'hj212' | 'sl651' | 'gbt26875'): { code: string; reason: string; value: Buffer }[];
}

/** Registers the file's beforeAll/afterAll and returns its context (read it inside tests). */
export function setupLinks(name: string): LinksContext {
  const clients: LinkClient[] = [];
  let registry: Registry;
  let ctx: LinksContext | undefined;

  async function startGateway(bus: Bus, env: Record<string, string> = {}): Promise<Gateway> {
    const config = loadGatewayConfig({
      GANZHI_MQTT_HOST: '127.0.0.1',
      GANZHI_MQTT_PORT: '0',
      GANZHI_MQTT_WS_PORT: '0',
      GANZHI_HJ212_PORT: '0',
      GANZHI_SL651_PORT: '0',
      GANZHI_GBT26875_TCP_PORT: '0',
      GANZHI_GBT26875_UDP_PORT: '0',
      GANZHI_GATEWAY_ID: `gw-${Math.random().toString(36).slice(2, 8)}`,
      ...env,
    });
    const gw = await buildGateway(config, { bus, registry, logger: silentLogger() });
    await gw.start();
    return gw;
  }

  let state: { dir: string; bus: Bus; gateway: Gateway; watch: LinksContext['watch'] } | undefined;
  const must = () => {
    if (!state) throw new Error('setupLinks: used outside a test');
    return state;
  };

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), `ganzhi-${name}-`));
    await writeRegistry(join(dir, 'registry.json'));
    registry = await loadRegistryFile(join(dir, 'registry.json'));
    const bus = await createEmbeddedBus({ dir: join(dir, 'bus'), sync: 'write' });
    const gateway = await startGateway(bus);
    const watch = await watchBus(bus, 'test-watch');
    state = { dir, bus, gateway, watch };
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.end();
    await state?.watch.close();
    await state?.gateway.close();
    await state?.bus.close();
    await registry?.close();
    if (state?.dir) await rm(state.dir, { recursive: true, force: true });
  });

  ctx = {
    get dir() {
      return must().dir;
    },
    get registry() {
      return registry;
    },
    get bus() {
      return must().bus;
    },
    get gateway() {
      return must().gateway;
    },
    get watch() {
      return must().watch;
    },
    startGateway,
    async link(port, udp = false) {
      if (port === undefined) throw new Error('listener not running');
      const c = udp ? await connectUdp(port) : await connectLink(port);
      clients.push(c);
      return c;
    },
    telemetryOf: (deviceId) => must().watch.raw.filter((r) => r.deviceId === deviceId && r.topic.endsWith('/telemetry')),
    statusOf: (deviceId) => must().watch.raw.filter((r) => r.deviceId === deviceId && r.topic.endsWith('/status')).map((r) => r.payload),
    deadOf: (protocol) =>
      must()
        .watch.dead.filter((d) => d.stage === 'gateway' && d.source.topic.startsWith(`${protocol}:`))
        .map((d) => ({ code: d.code, reason: d.reason, value: Buffer.from(d.source.value as string, 'base64') })),
  };
  return ctx;
}

/**
 * A bus whose appends to `ganzhi.raw.v1` block: a consumer group that never returns from its
 * handler holds the log's lag above `maxLag: 1` once two records are on it. `waiting()` counts
 * the publishes held back right now; `release()` lets them through.
 */
export async function blockedBus(dir: string): Promise<{ bus: EmbeddedBus; waiting(): number; release(): void; close(): Promise<void> }> {
  const bus = await createEmbeddedBus({ dir: join(dir, `blocked-bus-${Math.random().toString(36).slice(2, 8)}`), sync: 'write', maxLag: 1 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let held = 0;
  const slow = await bus.subscribe('slow-consumer', {
    'ganzhi.raw.v1': async () => {
      held++;
      await gate;
    },
  });
  const filler = (i: number): RawEnvelope => ({ id: `filler-${i}`, deviceId: 'filler', kind: 'air_monitor', format: 'json', topic: 'devices/filler/telemetry', receivedAt: T0, encoding: 'utf8', payload: '{}' });
  await bus.publish('ganzhi.raw.v1', [{ key: 'filler', value: filler(1) }]);
  await eventually(() => held > 0, 10_000, 'the slow consumer to hold a batch');
  await bus.publish('ganzhi.raw.v1', [{ key: 'filler', value: filler(2) }]);
  return {
    bus,
    waiting: () => bus.stats().publishWaiting,
    release,
    async close() {
      release();
      await slow.close();
      await bus.close();
    },
  };
}

// ---- HJ 212 ------------------------------------------------------------------------------------

export const qn = (i: number) => formatHj212Time(T0 + i * 1000, true);

export function hj212(i: number, opts: { flag?: number; pw?: string; mn?: string } = {}): string {
  return encodeHj212({
    QN: qn(i),
    ST: '22',
    CN: '2011',
    PW: opts.pw ?? '123456',
    MN: opts.mn ?? MN,
    Flag: opts.flag ?? 5,
    cp: { fields: { DataTime: formatHj212Time(T0 + i * 1000) }, pollutants: { a34004: { Rtd: 30 + i, Flag: 'N' } } },
  });
}

/** The same frame with its CRC's last digit changed. */
export const badHj212Crc = (frame: string) => frame.slice(0, -3) + (frame.at(-3) === '0' ? '1' : '0') + '\r\n';

export function hj212Answers(rx: Buffer): { CN?: string; QN?: string; cp: string }[] {
  const out: { CN?: string; QN?: string; cp: string }[] = [];
  let at = 0;
  for (;;) {
    const d = decodeHj212(rx, at);
    if (!d.ok) return out;
    out.push({ CN: d.value.frame.CN, QN: d.value.frame.QN, cp: d.value.frame.cpText });
    at = d.value.end;
  }
}

// ---- SL 651 ------------------------------------------------------------------------------------

export function sl651(serial: number, password = '1234', station = STATION): Buffer {
  return encodeSl651({ centre: 1, station, password, funcCode: 0x32, serial, sendTime: T0 + serial * 60_000, groups: [{ obsTime: T0 + serial * 60_000, elements: [{ id: 'Z', value: 3 + serial / 100 }] }] });
}

export function sl651Ascii(serial: number, password = '4321', station = ASCII_STATION): Buffer {
  return encodeSl651Ascii({ centre: 1, station, password, funcCode: 0x32, serial, sendTime: T0 + serial * 60_000, groups: [{ obsTime: T0 + serial * 60_000, elements: [{ id: 'Z', value: 3 + serial / 100 }] }] });
}

// domain vectors/sl651.json "yx-2F-keepalive": station 0012345678, password 1234
export const SL651_KEEP_ALIVE = Buffer.from('7E7E01001234567812342F0008020003591011155111036BCA', 'hex');

export interface Sl651Answer {
  serial: number;
  end: string;
  station: string;
  funcCode: number;
  mode: 'hex' | 'ascii';
}

/** The down-frames in `rx`, HEX or ASCII mode; throws on an up-frame or a CRC that fails. */
export function sl651Answers(rx: Buffer): Sl651Answer[] {
  const out: Sl651Answer[] = [];
  let at = 0;
  for (;;) {
    if (rx[at] === 0x01) {
      const d = decodeSl651AsciiFrame(rx, at);
      if (!d.ok) return out;
      const f = d.value.frame;
      if (f.direction !== 'down' || !f.crcValid) throw new Error(`not a valid ASCII down-frame: ${rx.subarray(at, d.value.end).toString('latin1')}`);
      out.push({ serial: sl651AsciiSerial(f), end: f.endChar, station: f.station, funcCode: f.funcCode, mode: 'ascii' });
      at = d.value.end;
      continue;
    }
    const d = decodeSl651Frame(rx, at);
    if (!d.ok) return out;
    const f = d.value.frame;
    if (f.direction !== 'down' || !f.crcValid) throw new Error(`not a valid HEX down-frame: ${rx.subarray(at, d.value.end).toString('hex')}`);
    out.push({ serial: sl651Serial(f), end: f.endChar, station: f.station, funcCode: f.funcCode, mode: 'hex' });
    at = d.value.end;
  }
}

// ---- GB/T 26875.3 ------------------------------------------------------------------------------

export function uitdFrame(serial: number, source = UITD, fire = true): Buffer {
  const state = gbt26875Bits(COMPONENT_STATE_BITS, fire ? ['normal', 'fireAlarm'] : ['normal']);
  return encodeGbt26875Frame({
    serial,
    time: T0,
    source,
    destination: '000000000001',
    command: 'send',
    appData: encodeGbt26875App([{ type: 'componentState', system: { type: 1, address: 1 }, component: { type: 42, address: serial }, state, description: '2层烟感', time: T0 }]),
  });
}

export function gbtAnswers(rx: Buffer): { serial: number; command: unknown; destination: string }[] {
  const out: { serial: number; command: unknown; destination: string }[] = [];
  let at = 0;
  for (;;) {
    const d = decodeGbt26875Frame(rx, at);
    if (!d.ok) return out;
    if (!d.value.frame.checksumValid) throw new Error('answer checksum does not verify');
    out.push({ serial: d.value.frame.serial, command: d.value.frame.command, destination: d.value.frame.destination });
    at = d.value.end;
  }
}
