import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqttPacket from 'mqtt-packet';
import type { RawEnvelope } from '@ganzhi/schemas';
import { followRefusals } from './helpers/audit';
import { collect, connect, end, publish, subscribe } from './helpers/mqtt';
import { eventually, startPipeline, type RunningPipeline } from './helpers/pipeline';

/**
 * Sessions belong to principals (README "MQTT sessions"): a client id naming someone else is
 * refused with CONNACK 2 and the session holding it is untouched; a persistent session is only
 * ever resumed by its principal; a QoS 2 retransmission (DUP) is appended once.
 */
let p: RunningPipeline;
let refusals: Awaited<ReturnType<typeof followRefusals>>;

beforeAll(async () => {
  p = await startPipeline();
  refusals = await followRefusals(p.bus);
});
afterAll(async () => {
  await refusals?.close();
  await p?.stop();
});

/** mqtt.js reports a refused CONNACK as an error whose `code` is the return code. */
async function refusedWith(username: string, clientId: string, extra: Record<string, unknown> = {}): Promise<number | undefined> {
  try {
    const c = await connect(p.mqttUrl, username, undefined, { clientId, ...extra });
    await end(c);
    return undefined;
  } catch (err) {
    return (err as { code?: number }).code;
  }
}

describe('MQTT sessions bound to principals', () => {
  it('refuses a device that takes another device’s client id with CONNACK 2, and leaves the real one connected', async () => {
    const real = await connect(p.mqttUrl, 'gauge-002', undefined, { clientId: 'gauge-002' });
    try {
      let closed = false;
      real.on('close', () => (closed = true));
      expect(await refusedWith('gauge-001', 'gauge-002')).toBe(2);
      expect(await refusedWith('gauge-001', 'gauge-002-sim')).toBe(2);
      // the real gauge-002 is still connected and its publishes still go through (a PUBACK)
      await publish(real, 'devices/gauge-002/status', 'online');
      expect(closed).toBe(false);
      expect(real.connected).toBe(true);
      const refusal = await eventually(() => refusals.all.find((r) => r.action === 'mqtt.connect' && r.target === 'gauge-002'));
      expect(refusal).toMatchObject({ actor: 'gauge-001', code: 'GANZHI_ERR_GW_CLIENT_ID', via: 'mqtt' });
    } finally {
      await end(real);
    }
  });

  it('lets a principal use its own id, or its id followed by "-" or ":"', async () => {
    for (const clientId of ['gauge-001', 'gauge-001-sim', 'gauge-001:a']) {
      const c = await connect(p.mqttUrl, 'gauge-001', undefined, { clientId });
      await end(c);
    }
    expect(await refusedWith('op-alice', 'op-bob-console')).toBe(2);
  });

  it('resumes a persistent session only for its principal: a device with the operator’s client id gets nothing', async () => {
    // the operator subscribes with a persistent session, then goes away
    const console1 = await connect(p.mqttUrl, 'op-alice', undefined, { clientId: 'op-alice-console', clean: false });
    await subscribe(console1, 'alerts/#');
    await end(console1);

    // an alert is raised while the console is away: it is queued in op-alice-console's session
    const gauge = await connect(p.mqttUrl, 'gauge-001');
    await publish(gauge, 'devices/gauge-001/telemetry', JSON.stringify({ waterLevel: 15.5 }));
    await end(gauge);
    await eventually(async () => (await p.store.alertHistory({ deviceId: 'gauge-001' })).length > 0);

    // a device with its own valid credentials tries to resume that session: refused, nothing delivered
    expect(await refusedWith('gauge-001', 'op-alice-console', { clean: false })).toBe(2);
    expect(await refusedWith('gauge-001', 'op-alice-console', { clean: true })).toBe(2);

    // the operator resumes it and receives what was queued for her
    const console2 = await connect(p.mqttUrl, 'op-alice', undefined, { clientId: 'op-alice-console', clean: false });
    try {
      const got = await collect(console2, (all) => all.some((m) => m.topic.startsWith('alerts/red/river_gauge/gauge-001/')));
      expect(got.some((m) => m.topic.startsWith('alerts/red/river_gauge/gauge-001/'))).toBe(true);
    } finally {
      await end(console2);
    }
  });

  it('allows an id that names nobody only with a clean session, and only for one principal at a time', async () => {
    expect(await refusedWith('op-alice', 'mqttjs_abc123', { clean: false })).toBe(2);
    const first = await connect(p.mqttUrl, 'op-alice', undefined, { clientId: 'mqttjs_shared' });
    try {
      expect(await refusedWith('gauge-001', 'mqttjs_shared')).toBe(2);
      expect(first.connected).toBe(true);
    } finally {
      await end(first);
    }
    // once it has gone, the id is free again
    await eventually(async () => (await refusedWith('gauge-001', 'mqttjs_shared')) === undefined);
  });
});

describe('QoS 2', () => {
  it('appends a message retransmitted with DUP (no PUBREC seen) once', async () => {
    const raws: RawEnvelope[] = [];
    const sub = await p.bus.subscribe(`test.raw.${Date.now()}`, {
      'ganzhi.raw.v1': async (batch) => {
        for (const { value } of batch) raws.push(value);
      },
    });
    const socket: Socket = tcpConnect(Number(new URL(p.mqttUrl).port), '127.0.0.1');
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const got: mqttPacket.Packet[] = [];
    parser.on('packet', (pkt) => got.push(pkt));
    socket.on('data', (d) => parser.parse(d));
    try {
      await new Promise<void>((r) => socket.once('connect', () => r()));
      const send = (pkt: mqttPacket.Packet) => socket.write(mqttPacket.generate(pkt));
      send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'gauge-001-q2', keepalive: 30, username: 'gauge-001', password: Buffer.from('demo-gauge-001') });
      await eventually(() => got.find((x) => x.cmd === 'connack'));
      const marker = `q2-${Date.now()}`;
      const publish = { cmd: 'publish' as const, topic: 'devices/gauge-001/telemetry', payload: JSON.stringify({ waterLevel: 3.21, note: marker }), qos: 2 as const, messageId: 77, retain: false, dup: false };
      send(publish);
      await eventually(() => got.find((x) => x.cmd === 'pubrec'));
      // the device did not see the PUBREC (as if lost) and retransmits with DUP, twice
      send({ ...publish, dup: true });
      send({ ...publish, dup: true });
      await eventually(() => got.filter((x) => x.cmd === 'pubrec').length === 3);
      send({ cmd: 'pubrel', messageId: 77 });
      await eventually(() => got.find((x) => x.cmd === 'pubcomp'));
      // a later, new message that reuses the id after PUBCOMP is a new message (DUP clear)
      send({ ...publish, payload: JSON.stringify({ waterLevel: 3.22, note: `${marker}-b` }) });
      await eventually(() => got.filter((x) => x.cmd === 'pubrec').length === 4);
      await eventually(() => raws.some((r) => r.payload.includes(`${marker}-b`)));
      expect(raws.filter((r) => r.payload.includes(`"${marker}"`))).toHaveLength(1);
    } finally {
      socket.destroy();
      await sub.close();
    }
  });
});
