import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter } from '@ganzhi/schemas';
import { closed, collect, connect, end, publish, subscribe } from './helpers/mqtt';
import { eventually, startPipeline, type RunningPipeline } from './helpers/pipeline';

let p: RunningPipeline;
const deadLetters: DeadLetter[] = [];

beforeAll(async () => {
  p = await startPipeline();
  await p.bus.subscribe('test-deadletter-watch', {
    'ganzhi.deadletter.v1': async (batch) => {
      for (const d of batch) deadLetters.push(d.value);
    },
  });
});
afterAll(async () => {
  await p?.stop();
});

const auth = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:demo-${user}`).toString('base64')}` });

describe('the pipeline over real MQTT connections', () => {
  it('raises a red alert that a subscribed operator receives when a gauge reads above its historical maximum', async () => {
    const operator = await connect(p.mqttUrl, 'op-alice');
    const device = await connect(p.mqttUrl, 'gauge-001');
    try {
      expect(await subscribe(operator, 'alerts/#')).toBe(1);
      const received = collect(operator, (all) => all.some((m) => m.topic.startsWith('alerts/red/river_gauge/gauge-001/')));
      await publish(device, 'devices/gauge-001/telemetry', JSON.stringify({ ts: Date.now(), waterLevel: 15.5 }));
      const red = (await received).find((m) => m.topic.startsWith('alerts/red/'))!;
      const alert = JSON.parse(red.payload);
      expect(alert).toMatchObject({ deviceId: 'gauge-001', kind: 'river_gauge', level: 'red', grade: 'I', status: 'open', condition: 'active' });
      expect(alert.value).toBe(15.5);
    } finally {
      await end(operator, device);
    }
  });

  it("writes MQTT packets without mqtt-packet's cache of 65,536 number Buffers (6 MB the major GCs would mark)", async () => {
    const device = await connect(p.mqttUrl, 'gauge-002');
    try {
      // A QoS 1 publish: the broker writes a CONNACK and a PUBACK with its packet id.
      await publish(device, 'devices/gauge-002/telemetry', JSON.stringify({ ts: Date.now(), waterLevel: 3.2 }));
    } finally {
      await end(device);
    }
    const numbers = createRequire(import.meta.url)('mqtt-packet/numbers.js') as { cache: Record<number, Buffer> };
    expect(Object.keys(numbers.cache)).toHaveLength(0);
  });

  it('serves MQTT over WebSocket with the same authentication and the same pipeline', async () => {
    const wsUrl = `ws://127.0.0.1:${p.pipeline.gateway.ports().ws}`;
    await expect(connect(wsUrl, 'port-001', 'wrong')).rejects.toMatchObject({ code: 4 });
    const operator = await connect(wsUrl, 'op-alice');
    const crane = await connect(wsUrl, 'port-001');
    try {
      await subscribe(operator, 'alerts/+/port_device/port-001/#');
      const got = collect(operator, (all) => all.some((m) => m.topic === 'alerts/red/port_device/port-001/port-wind-gust' && m.payload));
      await publish(crane, 'devices/port-001/telemetry', JSON.stringify({ ts: Date.now(), windSpeed: 12, windGust: 26.5 }));
      const red = (await got).find((m) => m.topic === 'alerts/red/port_device/port-001/port-wind-gust')!;
      expect(JSON.parse(red.payload)).toMatchObject({ deviceId: 'port-001', level: 'red', value: 26.5 });
    } finally {
      await end(operator, crane);
    }
  });

  it('stores readings that operators can query over HTTP', async () => {
    const device = await connect(p.mqttUrl, 'air-001');
    try {
      const ts = Date.now();
      await publish(device, 'devices/air-001/telemetry', JSON.stringify({ ts, pm25: 42, pm10: 61, so2: 8, no2: 30, co: 0.6, o3: 80 }));
      const rows = await eventually(async () => {
        const res = await fetch(`${p.httpUrl}/api/readings/latest?deviceId=air-001`, { headers: auth('op-alice') });
        const body = (await res.json()) as { readings: { metric: string; value: number; ts: number }[] };
        return body.readings.length >= 6 && body.readings;
      });
      expect(rows.find((r) => r.metric === 'pm25')).toMatchObject({ value: 42, ts });
    } finally {
      await end(device);
    }
  });

  it('refuses the HTTP API without operator credentials', async () => {
    const res = await fetch(`${p.httpUrl}/api/readings/latest`);
    expect(res.status).toBe(401);
    const dev = await fetch(`${p.httpUrl}/api/readings/latest`, { headers: { authorization: `Basic ${Buffer.from('gauge-001:demo-gauge-001').toString('base64')}` } });
    expect(dev.status).toBe(401);
  });

  it('dead-letters a malformed payload with a typed reason, keeps the device connected and processes its next reading', async () => {
    const device = await connect(p.mqttUrl, 'fire-001');
    try {
      await publish(device, 'devices/fire-001/telemetry', '{"smoke": 1, "heat": ');
      await publish(device, 'devices/fire-001/telemetry', JSON.stringify({ heat: 'hot' }));
      const dls = await eventually(() => {
        const mine = deadLetters.filter((d) => d.deviceId === 'fire-001');
        return mine.length >= 2 && mine;
      });
      expect(dls.map((d) => d.code)).toEqual(['GANZHI_ERR_NORM_NOT_JSON', 'GANZHI_ERR_NORM_SCHEMA']);
      expect(dls[1]!.reason).toContain('heat');
      expect(dls[0]!.stage).toBe('normalizer');
      expect((dls[0]!.source.value as { payload: string }).payload).toBe('{"smoke": 1, "heat": ');
      expect(device.connected).toBe(true);

      const ts = Date.now();
      await publish(device, 'devices/fire-001/telemetry', JSON.stringify({ ts, heat: 31.5 }));
      // `heat` is an alias of the fire sensor's `temperature` metric (packages/codecs/README.md)
      const row = await eventually(async () => (await p.store.latest({ deviceId: 'fire-001', metric: 'temperature' })).find((r) => r.ts === ts));
      expect(row.value).toBe(31.5);
    } finally {
      await end(device);
    }
  });

  it('records a device\'s status: "online" when it says so, "offline" from its last will when its connection dies', async () => {
    // gauge-002 speaks SL 651 (binary) telemetry; its status messages are still plain text
    const device = await connect(p.mqttUrl, 'gauge-002', undefined, { will: { topic: 'devices/gauge-002/status', payload: Buffer.from('offline'), qos: 1, retain: true } });
    await publish(device, 'devices/gauge-002/status', 'online');
    const online = await eventually(async () => (await p.store.latest({ deviceId: 'gauge-002', metric: 'online' }))[0]);
    expect(online.value).toBe(1);
    device.stream.destroy(); // no DISCONNECT packet: the broker publishes the will
    const offline = await eventually(async () => {
      const row = (await p.store.latest({ deviceId: 'gauge-002', metric: 'online' }))[0];
      return row && row.value === 0 && row;
    });
    expect(offline.ts).toBeGreaterThanOrEqual(online.ts);
    await end(device);
  });

  it('refuses a wrong password with CONNACK "bad username or password"', async () => {
    await expect(connect(p.mqttUrl, 'gauge-001', 'not-the-password')).rejects.toMatchObject({ code: 4 });
    await expect(connect(p.mqttUrl, 'nobody', 'x')).rejects.toMatchObject({ code: 4 });
  });

  it('disconnects a device that publishes to another device\'s topic, and nothing of it reaches the bus', async () => {
    const device = await connect(p.mqttUrl, 'gauge-002');
    const before = p.pipeline.normalizer.stats().readings + p.pipeline.normalizer.stats().deadLetters;
    const refusedBefore = p.pipeline.gateway.stats().refusedPublish;
    const gone = closed(device);
    device.publish('devices/gauge-001/telemetry', JSON.stringify({ waterLevel: 99 }), { qos: 1 });
    await gone;
    expect(p.pipeline.gateway.stats().refusedPublish).toBe(refusedBefore + 1);
    expect(p.pipeline.normalizer.stats().readings + p.pipeline.normalizer.stats().deadLetters).toBe(before);
    await end(device);
  });

  it('refuses a device subscribing to alerts/# (SUBACK failure) and keeps it connected', async () => {
    const device = await connect(p.mqttUrl, 'port-001');
    try {
      expect(await subscribe(device, 'alerts/#')).toBe(128);
      expect(await subscribe(device, 'devices/port-002/commands/#')).toBe(128);
      expect(await subscribe(device, 'devices/port-001/commands/#')).toBe(1);
      expect(device.connected).toBe(true);
    } finally {
      await end(device);
    }
  });

  it('closes the connection of a client that sends a payload over the size limit', async () => {
    const device = await connect(p.mqttUrl, 'port-002');
    const gone = closed(device);
    device.publish('devices/port-002/telemetry', Buffer.alloc(200_000, 0x20), { qos: 1 });
    await gone;
    expect(p.pipeline.gateway.stats().oversize).toBeGreaterThan(0);
    await end(device);
  });

  it('lets an operator acknowledge an alert over MQTT, recording the authenticated operator as the actor, and refuses an invalid transition', async () => {
    const operator = await connect(p.mqttUrl, 'op-bob');
    const device = await connect(p.mqttUrl, 'gauge-001');
    try {
      await subscribe(operator, 'ops/op-bob/replies');
      // the gauge's red alert from the first test is still open: a late subscriber gets it retained
      const retained = collect(operator, (all) => all.some((m) => m.payload && m.topic.startsWith('alerts/red/river_gauge/gauge-001/')));
      await subscribe(operator, 'alerts/red/river_gauge/gauge-001/#');
      const red = (await retained).find((m) => m.payload)!;
      expect(red.retain).toBe(true);
      const alert = JSON.parse(red.payload);
      expect(alert).toMatchObject({ level: 'red', status: 'open' });

      const acked = collect(operator, (all) => all.some((m) => m.topic === 'ops/op-bob/replies'));
      // the payload names someone else as actor: it must be ignored
      await publish(operator, 'ops/commands', JSON.stringify({ alertId: alert.alertId, action: 'acknowledge', actor: 'op-alice' }));
      const reply = JSON.parse((await acked).find((m) => m.topic === 'ops/op-bob/replies')!.payload);
      expect(reply).toMatchObject({ ok: true, actor: 'op-bob', action: 'acknowledge', alertId: alert.alertId, status: 'acknowledged' });

      const history = await eventually(async () => {
        const h = await p.store.alertHistory({ alertId: alert.alertId });
        return h.some((c) => c.event.type === 'acknowledged') && h;
      });
      expect(history.find((c) => c.event.type === 'acknowledged')!.event.actor).toBe('op-bob');

      // closing needs a resolved alert whose condition has cleared: refused, with the reason
      const refused = collect(operator, (all) => all.some((m) => m.topic === 'ops/op-bob/replies'));
      await publish(operator, 'ops/commands', JSON.stringify({ alertId: alert.alertId, action: 'close' }));
      const no = JSON.parse((await refused).find((m) => m.topic === 'ops/op-bob/replies')!.payload);
      expect(no).toMatchObject({ ok: false, code: 'GANZHI_ERR_ALERT_TRANSITION' });
      expect(no.reason).toContain('acknowledged');
    } finally {
      await end(operator, device);
    }
  });
});
