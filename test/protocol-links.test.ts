import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedBus, type Bus } from '@ganzhi/bus';
import {
  COMPONENT_STATE_BITS,
  decodeGbt26875Frame,
  decodeHj212,
  decodeSl651Frame,
  encodeGbt26875App,
  encodeGbt26875Frame,
  encodeHj212,
  encodeSl651,
  formatHj212Time,
  gbt26875Bits,
  sl651Serial,
} from '@ganzhi/codecs';
import { buildGateway, loadGatewayConfig, type Gateway } from '@ganzhi/gateway';
import { silentLogger } from '@ganzhi/log';
import { hashSecret, loadRegistryFile, type Registry } from '@ganzhi/registry';
import { connectLink, connectUdp, count, watchBus, type LinkClient } from './helpers/links';
import { eventually } from './helpers/pipeline';

const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };
const MN = 'GZTEST0000000001';
const STATION = '0012345678';
const UITD = '0000000000A1';
const T0 = Date.UTC(2026, 10, 1, 0, 0, 0);

let dir = '';
let registry: Registry;
let bus: Bus;
let gateway: Gateway;
let watch: Awaited<ReturnType<typeof watchBus>>;
const clients: LinkClient[] = [];

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
        await dev('uitd-1', 'fire_sensor', 'gbt26875', 'unused-uitd-1', { address: UITD, peers: '127.0.0.1' }),
        await dev('uitd-2', 'fire_sensor', 'gbt26875', 'unused-uitd-2', { address: '0000000000A2', peers: '10.0.0.0/8' }),
      ],
    }),
  );
}

async function startGateway(busToUse: Bus, env: Record<string, string> = {}): Promise<Gateway> {
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
  const gw = await buildGateway(config, { bus: busToUse, registry, logger: silentLogger() });
  await gw.start();
  return gw;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ganzhi-links-'));
  await writeRegistry(join(dir, 'registry.json'));
  registry = await loadRegistryFile(join(dir, 'registry.json'));
  bus = await createEmbeddedBus({ dir: join(dir, 'bus'), sync: 'write' });
  gateway = await startGateway(bus);
  watch = await watchBus(bus, 'test-watch');
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.end();
  await watch?.close();
  await gateway?.close();
  await bus?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function link(port: number | undefined, udp = false): Promise<LinkClient> {
  const c = udp ? await connectUdp(port!) : await connectLink(port!);
  clients.push(c);
  return c;
}

const telemetryOf = (deviceId: string) => watch.raw.filter((r) => r.deviceId === deviceId && r.topic.endsWith('/telemetry'));
const statusOf = (deviceId: string) => watch.raw.filter((r) => r.deviceId === deviceId && r.topic.endsWith('/status')).map((r) => r.payload);

// ---- HJ 212 ------------------------------------------------------------------------------------

const qn = (i: number) => formatHj212Time(T0 + i * 1000, true);
function hj212(i: number, opts: { flag?: number; pw?: string; mn?: string } = {}): string {
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
const badCrc = (frame: string) => frame.slice(0, -3) + (frame.at(-3) === '0' ? '1' : '0') + '\r\n';

function hj212Answers(rx: Buffer): { CN?: string; QN?: string; cp: string }[] {
  const out: { CN?: string; QN?: string; cp: string }[] = [];
  let at = 0;
  for (;;) {
    const d = decodeHj212(rx, at);
    if (!d.ok) return out;
    out.push({ CN: d.value.frame.CN, QN: d.value.frame.QN, cp: d.value.frame.cpText });
    at = d.value.end;
  }
}

describe('HJ 212 over TCP', () => {
  it('stores every good frame and answers with CN 9014 and its QN; garbage and a bad CRC between them are answered and dead-lettered', async () => {
    const c = await link(gateway.ports().hj212);
    const f3 = hj212(3);
    c.send(hj212(1) + 'line noise\r\n' + badCrc(hj212(2)) + f3.slice(0, 40));
    c.send(f3.slice(40) + hj212(4, { flag: 4 }) + hj212(5));
    const rx = await c.waitFor((b) => hj212Answers(b).length >= 4, 20_000, 'four answers');
    const answers = hj212Answers(rx);
    expect(answers).toEqual([
      { CN: '9014', QN: qn(1), cp: '' },
      { CN: '9011', QN: qn(2), cp: 'QnRtn=9' },
      { CN: '9014', QN: qn(3), cp: '' },
      { CN: '9014', QN: qn(5), cp: '' }, // frame 4 has Flag=4: no answer asked
    ]);
    await eventually(() => telemetryOf('logger-1').some((r) => r.payload === hj212(5)), 10_000, 'frame 5 on the bus');
    const stored = telemetryOf('logger-1').map((r) => r.payload);
    for (const i of [1, 3, 4, 5]) expect(stored.filter((p) => p === hj212(i, i === 4 ? { flag: 4 } : {}))).toHaveLength(1);
    expect(stored.some((p) => p.includes(qn(2)))).toBe(false);
    expect(statusOf('logger-1')[0]).toBe('online');
    await eventually(() => watch.dead.filter((d) => d.stage === 'gateway' && d.source.topic.startsWith('hj212:')).length >= 2, 10_000, 'dead letters');
    const dead = watch.dead.filter((d) => d.source.topic.startsWith('hj212:'));
    expect(dead.map((d) => d.code).sort()).toEqual(['GANZHI_ERR_GW_BAD_CRC', 'GANZHI_ERR_GW_BAD_FRAME']);
    expect(Buffer.from(dead.find((d) => d.code === 'GANZHI_ERR_GW_BAD_FRAME')!.source.value as string, 'base64').toString()).toBe('line noise\r\n');
    expect(c.isClosed()).toBe(false);

    c.end();
    await eventually(() => statusOf('logger-1').at(-1) === 'offline', 10_000, 'offline status');
  });

  it('refuses a wrong PW (QnRtn 3) and an unknown MN (QnRtn 4), closes, stores nothing', async () => {
    const wrong = await link(gateway.ports().hj212);
    wrong.send(hj212(10, { pw: '654321' }));
    await wrong.closed;
    expect(hj212Answers(wrong.received())).toEqual([{ CN: '9011', QN: qn(10), cp: 'QnRtn=3' }]);
    const stranger = await link(gateway.ports().hj212);
    stranger.send(hj212(11, { mn: 'NOBODY0000000001' }));
    await stranger.closed;
    expect(hj212Answers(stranger.received())).toEqual([{ CN: '9011', QN: qn(11), cp: 'QnRtn=4' }]);
    // a good frame after them reaches the bus; the refused ones never do
    const good = await link(gateway.ports().hj212);
    good.send(hj212(12));
    await eventually(() => telemetryOf('logger-1').some((r) => r.payload === hj212(12)), 10_000, 'the good frame');
    expect(watch.raw.some((r) => r.payload.includes(qn(10)) || r.payload.includes(qn(11)))).toBe(false);
    expect(gateway.stats().links.authFailures).toBeGreaterThanOrEqual(2);
  });

  it('binds the device to one connection: a second that authenticates replaces the first, one that does not leaves it', async () => {
    const first = await link(gateway.ports().hj212);
    first.send(hj212(20));
    await first.waitFor((b) => hj212Answers(b).length === 1);
    const impostor = await link(gateway.ports().hj212);
    impostor.send(hj212(21, { pw: 'guess1' }));
    await impostor.closed;
    expect(first.isClosed()).toBe(false);
    const second = await link(gateway.ports().hj212);
    second.send(hj212(22));
    await second.waitFor((b) => hj212Answers(b).length === 1);
    await first.closed;
    // a replaced connection does not make the device offline
    second.send(hj212(23));
    await second.waitFor((b) => hj212Answers(b).length === 2);
    expect(statusOf('logger-1').at(-1)).toBe('online');
  });
});

// ---- SL 651 ------------------------------------------------------------------------------------

function sl651(serial: number, password = '1234'): Buffer {
  return encodeSl651({ centre: 1, station: STATION, password, funcCode: 0x32, serial, sendTime: T0 + serial * 60_000, groups: [{ obsTime: T0 + serial * 60_000, elements: [{ id: 'Z', value: 3 + serial / 100 }] }] });
}
// domain vectors/sl651.json "yx-2F-keepalive": station 0012345678, password 1234
const KEEP_ALIVE = Buffer.from('7E7E01001234567812342F0008020003591011155111036BCA', 'hex');

function sl651Answers(rx: Buffer): { serial: number; end: string; station: string; funcCode: number }[] {
  const out: { serial: number; end: string; station: string; funcCode: number }[] = [];
  let at = 0;
  for (;;) {
    const d = decodeSl651Frame(rx, at);
    if (!d.ok) return out;
    const f = d.value.frame;
    expect(f.direction).toBe('down');
    expect(f.crcValid).toBe(true);
    out.push({ serial: sl651Serial(f), end: f.endChar, station: f.station, funcCode: f.funcCode });
    at = d.value.end;
  }
}

describe('SL 651 over TCP', () => {
  it('acknowledges each report after storing it (ESC), asks for a bad CRC again (NAK), skips garbage, keeps keep-alives off the bus', async () => {
    const c = await link(gateway.ports().sl651);
    const bad = sl651(2);
    bad[bad.length - 1]! ^= 0xff;
    c.send(Buffer.concat([sl651(1), KEEP_ALIVE, Buffer.from('AT+CSQ\r\n'), bad, sl651(3)]));
    const rx = await c.waitFor((b) => sl651Answers(b).length >= 3, 20_000, 'three answers');
    expect(sl651Answers(rx)).toEqual([
      { serial: 1, end: 'ESC', station: STATION, funcCode: 0x32 },
      { serial: 2, end: 'NAK', station: STATION, funcCode: 0x32 },
      { serial: 3, end: 'ESC', station: STATION, funcCode: 0x32 },
    ]);
    const hexOf = (deviceId: string) => telemetryOf(deviceId).map((r) => Buffer.from(r.payload, 'base64').toString('hex'));
    await eventually(() => hexOf('rtu-1').includes(sl651(3).toString('hex')), 10_000, 'report 3 on the bus');
    expect(hexOf('rtu-1')).toEqual([sl651(1).toString('hex'), sl651(3).toString('hex')]);
    expect(telemetryOf('rtu-1')[0]!.encoding).toBe('base64');
    await eventually(() => watch.dead.filter((d) => d.source.topic.startsWith('sl651:')).length >= 2, 10_000, 'dead letters');
    expect(watch.dead.filter((d) => d.source.topic.startsWith('sl651:')).map((d) => d.code).sort()).toEqual(['GANZHI_ERR_GW_BAD_CRC', 'GANZHI_ERR_GW_BAD_FRAME']);
    expect(gateway.stats().links.keepAlives).toBeGreaterThanOrEqual(1);
  });

  it('disconnects a station with a wrong password or an unknown address, without storing or answering', async () => {
    const c = await link(gateway.ports().sl651);
    c.send(sl651(9, 'BEEF'));
    await c.closed;
    expect(c.received().length).toBe(0);
    const other = await link(gateway.ports().sl651);
    other.send(encodeSl651({ centre: 1, station: '0099999999', password: '1234', funcCode: 0x32, serial: 1, sendTime: T0, groups: [] }));
    await other.closed;
    const good = await link(gateway.ports().sl651);
    good.send(sl651(10));
    await eventually(() => telemetryOf('rtu-1').some((r) => r.payload === sl651(10).toString('base64')), 10_000, 'the good report');
    expect(telemetryOf('rtu-1').some((r) => r.payload === sl651(9, 'BEEF').toString('base64'))).toBe(false);
    expect(watch.raw.some((r) => Buffer.from(r.payload, 'base64').includes(Buffer.from('0099999999', 'hex')))).toBe(false);
  });
});

// ---- GB/T 26875.3 ------------------------------------------------------------------------------

function uitdFrame(serial: number, source = UITD, fire = true): Buffer {
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

function gbtAnswers(rx: Buffer): { serial: number; command: unknown; destination: string }[] {
  const out: { serial: number; command: unknown; destination: string }[] = [];
  let at = 0;
  for (;;) {
    const d = decodeGbt26875Frame(rx, at);
    if (!d.ok) return out;
    expect(d.value.frame.checksumValid).toBe(true);
    out.push({ serial: d.value.frame.serial, command: d.value.frame.command, destination: d.value.frame.destination });
    at = d.value.end;
  }
}

describe('GB/T 26875.3 over TCP and UDP', () => {
  for (const udp of [false, true]) {
    const name = udp ? 'UDP' : 'TCP';
    it(`${name}: confirms stored data (command 3), denies a bad checksum (6), skips garbage`, async () => {
      const port = udp ? gateway.ports().gbt26875Udp : gateway.ports().gbt26875Tcp;
      const c = await link(port, udp);
      const base = udp ? 200 : 100;
      const bad = uitdFrame(base + 2);
      bad[bad.length - 3]! ^= 0x01;
      if (udp) {
        // one frame per datagram, as UITDs send them; garbage in a datagram of its own
        for (const d of [uitdFrame(base + 1), Buffer.from('\x00\xff garbage'), bad, uitdFrame(base + 3)]) c.send(d);
      } else c.send(Buffer.concat([uitdFrame(base + 1), Buffer.from('\x00\xff garbage'), bad, uitdFrame(base + 3)]));
      const rx = await c.waitFor((b) => gbtAnswers(b).length >= 3, 20_000, 'three answers');
      const answers = gbtAnswers(rx);
      // UDP datagrams may be answered out of order; TCP in order
      const sorted = udp ? [...answers].sort((a, b) => a.serial - b.serial) : answers;
      expect(sorted).toEqual([
        { serial: base + 1, command: 'confirm', destination: UITD },
        { serial: base + 2, command: 'deny', destination: UITD },
        { serial: base + 3, command: 'confirm', destination: UITD },
      ]);
      const hex = (f: Buffer) => f.toString('hex');
      await eventually(() => telemetryOf('uitd-1').some((r) => Buffer.from(r.payload, 'base64').toString('hex') === hex(uitdFrame(base + 3))), 10_000, 'frame 3 on the bus');
      const stored = telemetryOf('uitd-1').map((r) => Buffer.from(r.payload, 'base64').toString('hex'));
      expect(stored).toContain(uitdFrame(base + 1).toString('hex'));
      expect(stored).toContain(uitdFrame(base + 3).toString('hex'));
      expect(stored).not.toContain(bad.toString('hex'));
      await eventually(() => watch.dead.filter((d) => d.source.topic.startsWith('gbt26875:')).length >= (udp ? 4 : 2), 10_000, 'dead letters (garbage, bad checksum)');
    });
  }

  it('denies an unknown source address and a UITD speaking from a peer outside its allow-list', async () => {
    const stranger = await link(gateway.ports().gbt26875Tcp);
    stranger.send(uitdFrame(1, '0000000000FF'));
    await stranger.closed;
    expect(gbtAnswers(stranger.received())).toEqual([{ serial: 1, command: 'deny', destination: '0000000000FF' }]);
    const outside = await link(gateway.ports().gbt26875Udp, true);
    outside.send(uitdFrame(2, '0000000000A2'));
    const rx = await outside.waitFor((b) => gbtAnswers(b).length === 1);
    expect(gbtAnswers(rx)).toEqual([{ serial: 2, command: 'deny', destination: '0000000000A2' }]);
    expect(telemetryOf('uitd-2')).toHaveLength(0);
  });
});

// ---- the acknowledgement waits for the bus -----------------------------------------------------

describe('acknowledgements are withheld while the bus is blocked', () => {
  it('answers no frame of any protocol until the bus takes it, then answers each', async () => {
    // A bus whose backpressure holds publishers while a consumer group lags more than one record:
    // a group that does not return from its handler blocks every append to ganzhi.raw.v1.
    const blockedBus = await createEmbeddedBus({ dir: join(dir, 'blocked-bus'), sync: 'write', maxLag: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let blockedDeliveries = 0;
    const slow = await blockedBus.subscribe('slow-consumer', {
      'ganzhi.raw.v1': async () => {
        blockedDeliveries++;
        await gate;
      },
    });
    const gw = await startGateway(blockedBus);
    try {
      // fill the lag: the slow group holds the first records, so the next appends must wait
      const filler = await link(gw.ports().hj212);
      filler.send(hj212(40));
      await eventually(() => blockedDeliveries > 0, 10_000, 'the slow consumer to hold a batch');

      const hj = await link(gw.ports().hj212);
      const rtu = await link(gw.ports().sl651);
      const uitd = await link(gw.ports().gbt26875Tcp);
      hj.send(hj212(41));
      rtu.send(sl651(41));
      uitd.send(uitdFrame(41));
      // Nothing can be answered before the appends complete; give the listeners ample time to
      // (wrongly) answer, then check that none did.
      await new Promise((r) => setTimeout(r, 1500));
      expect([hj.received().length, rtu.received().length, uitd.received().length]).toEqual([0, 0, 0]);

      release();
      await hj.waitFor((b) => hj212Answers(b).length === 1, 20_000, 'HJ 212 answer after release');
      await rtu.waitFor((b) => sl651Answers(b).length === 1, 20_000, 'SL 651 answer after release');
      await uitd.waitFor((b) => gbtAnswers(b).length === 1, 20_000, 'GB/T 26875.3 answer after release');
      expect(hj212Answers(hj.received())[0]).toMatchObject({ CN: '9014', QN: qn(41) });
      expect(count(filler.received(), qn(40))).toBe(1);
    } finally {
      release();
      await gw.close();
      await slow.close();
      await blockedBus.close();
    }
  });
});

// ---- the same answers over MQTT ----------------------------------------------------------------

describe('HJ 212 and SL 651 devices publishing over MQTT get the answers they ask for', () => {
  it('publishes CN 9014 and the SL 651 acknowledgement on devices/{id}/commands/answer after the append', async () => {
    const mqtt = await import('mqtt');
    const url = `mqtt://127.0.0.1:${gateway.ports().mqtt}`;
    const open = (username: string, password: string) =>
      new Promise<import('mqtt').MqttClient>((resolve, reject) => {
        const c = mqtt.default.connect(url, { username, password, reconnectPeriod: 0, clientId: `${username}-${Math.random().toString(36).slice(2, 8)}` });
        c.once('connect', () => resolve(c));
        c.once('error', reject);
      });
    const logger = await open('logger-1', '123456');
    const rtu = await open('rtu-1', '1234');
    try {
      const got: { topic: string; payload: Buffer }[] = [];
      for (const c of [logger, rtu]) {
        c.on('message', (topic, payload) => got.push({ topic, payload }));
        await c.subscribeAsync(`devices/${c === logger ? 'logger-1' : 'rtu-1'}/commands/#`, { qos: 1 });
      }
      await logger.publishAsync('devices/logger-1/telemetry', hj212(60), { qos: 1 });
      await logger.publishAsync('devices/logger-1/telemetry', hj212(61, { flag: 4 }), { qos: 1 }); // asks for nothing
      await rtu.publishAsync('devices/rtu-1/telemetry', sl651(60), { qos: 1 });
      await eventually(() => got.length >= 2, 10_000, 'two answers');
      const hj = got.find((g) => g.topic === 'devices/logger-1/commands/answer');
      expect(hj && hj212Answers(hj.payload)).toEqual([{ CN: '9014', QN: qn(60), cp: '' }]);
      const sl = got.find((g) => g.topic === 'devices/rtu-1/commands/answer');
      expect(sl && sl651Answers(sl.payload)).toEqual([{ serial: 60, end: 'ESC', station: STATION, funcCode: 0x32 }]);
      // and the frames are on the bus as MQTT payloads always were
      await eventually(() => telemetryOf('rtu-1').some((r) => r.payload === sl651(60).toString('base64')), 10_000, 'the MQTT report');
      expect(got.filter((g) => g.topic === 'devices/logger-1/commands/answer')).toHaveLength(1);
    } finally {
      await logger.endAsync();
      await rtu.endAsync();
    }
  });
});

// ---- bounds ------------------------------------------------------------------------------------

describe('slow, silent and endless connections are bounded', () => {
  it('closes a silent connection after the idle time (the device goes offline) and one whose partial frame outgrows the buffer', async () => {
    const gw = await startGateway(bus, { GANZHI_HJ212_IDLE_SEC: '1', GANZHI_PROTOCOL_MAX_BUFFER_BYTES: '16384' });
    try {
      const quiet = await link(gw.ports().hj212);
      quiet.send(hj212(70));
      await quiet.waitFor((b) => hj212Answers(b).length === 1);
      await quiet.closed; // nothing more is sent: the listener gives up on it
      await eventually(() => statusOf('logger-1').at(-1) === 'offline', 10_000, 'offline after the idle timeout');
      expect(gw.stats().links.idleClosed).toBeGreaterThanOrEqual(1);

      const endless = await link(gw.ports().hj212);
      endless.send(`##0100${'A'.repeat(20_000)}`);
      await endless.closed;
      expect(gw.stats().links.overflowClosed).toBe(1);
      await eventually(() => watch.dead.some((d) => d.reason.includes('GANZHI_PROTOCOL_MAX_BUFFER_BYTES=16384')), 10_000, 'the overflow dead letter');
    } finally {
      await gw.close();
    }
  });
});
