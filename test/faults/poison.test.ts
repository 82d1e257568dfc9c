import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeHj212 } from '@ganzhi/codecs';
import type { DeadLetter } from '@ganzhi/schemas';
import { encodePayload } from '@ganzhi/simulators';
import type { MqttClient } from 'mqtt';
import { connect, end, publish } from '../helpers/mqtt';
import { eventually, startPipeline, type RunningPipeline } from '../helpers/pipeline';

let p: RunningPipeline;
const clients: MqttClient[] = [];
const letters: DeadLetter[] = [];
beforeAll(async () => {
  p = await startPipeline();
  await p.bus.subscribe('test.deadletters', { 'ganzhi.deadletter.v1': async (batch) => void letters.push(...batch.map((d) => d.value)) });
});
afterAll(async () => {
  await end(...clients);
  await p.stop();
});

const base = Date.UTC(2026, 2, 1, 8);
const hj212 = (cp: string, cn = '2011') => encodeHj212({ QN: '20260301080000000', ST: '22', CN: cn, PW: '123456', MN: 'air-002', Flag: 4, cp: `DataTime=20260301080000;${cp}` });
const PROTOTYPE_NAMES = ['toString', 'constructor', '__proto__', 'valueOf', 'hasOwnProperty'];

/** Good reports of a device, one a minute from `from`, in its own format (the simulators' encoder). */
function goodReports(deviceId: string, metrics: Record<string, number>, from: number, count: number) {
  const device = p.registry.device(deviceId)!;
  return Array.from({ length: count }, (_, i) => encodePayload({ device, ts: from + i * 60_000, seq: i + 1, sample: { metrics, states: {} } } as Parameters<typeof encodePayload>[0]));
}

async function device(id: string): Promise<MqttClient> {
  const c = await connect(p.mqttUrl, id, undefined, { clientId: id });
  clients.push(c);
  return c;
}

describe('poison records', () => {
  it('are parked with a typed code, one each, while the good records around them of every codec are stored', async () => {
    const json = await device('air-001');
    const hj = await device('air-002');
    const sl = await device('gauge-002');
    const poison: { deviceId: string; payload: string | Buffer }[] = [
      ...PROTOTYPE_NAMES.map((name) => ({ deviceId: 'air-001', payload: `{"ts":${base},"${name}":{"pm25":1}}` })),
      { deviceId: 'air-001', payload: `{"ts":${base},"pm25":"1,5"}` },
      ...PROTOTYPE_NAMES.map((name) => ({ deviceId: 'air-002', payload: hj212(`${name}-Rtd=1`) })),
      { deviceId: 'air-002', payload: hj212('a34004-Rtd=35', 'toString') },
      { deviceId: 'gauge-002', payload: Buffer.from('7e7e0012345678ffff', 'hex') },
      { deviceId: 'gauge-002', payload: Buffer.from('not a frame at all') },
    ];
    const by: Record<string, MqttClient> = { 'air-001': json, 'air-002': hj, 'gauge-002': sl };
    // poison first, good reports behind them on the same connections (and so the same partitions)
    for (const { deviceId, payload } of poison) await publish(by[deviceId]!, `devices/${deviceId}/telemetry`, payload);
    const good = {
      'air-001': goodReports('air-001', { pm25: 35 }, base, 5),
      'air-002': goodReports('air-002', { pm25: 36 }, base, 5),
      'gauge-002': goodReports('gauge-002', { waterLevel: 3.5 }, base, 5),
    };
    for (const [id, payloads] of Object.entries(good)) for (const payload of payloads) await publish(by[id]!, `devices/${id}/telemetry`, Buffer.from(payload));

    for (const [deviceId, metric] of [['air-001', 'pm25'], ['air-002', 'pm25'], ['gauge-002', 'waterLevel']] as const) {
      await eventually(async () => (await p.store.range({ deviceId, metric, from: base, to: base + 5 * 60_000, bucketMs: 60_000 })).length === 5, 30_000, `${deviceId}'s good reports to be stored`);
    }
    await eventually(() => letters.length >= poison.length, 30_000, 'a dead letter for every poison record').catch((err) => {
      console.info(letters.map((l) => `${l.deviceId} ${l.code} ${l.reason}`).join('\n'));
      throw err;
    });
    expect(letters).toHaveLength(poison.length);
    for (const l of letters) {
      expect(l.stage).toBe('normalizer');
      expect(l.code).toMatch(/^GANZHI_ERR_(NORM_[A-Z_]+|STAGE_FAILED)$/);
      expect(l.reason.length).toBeGreaterThan(0);
    }
    const count = (id: string) => letters.filter((l) => l.deviceId === id).length;
    expect([count('air-001'), count('air-002'), count('gauge-002')]).toEqual([6, 6, 2]);
  });

  it('an empty payload from a device of any format is dead-lettered, never dropped', async () => {
    const before = letters.length;
    for (const id of ['air-001', 'air-002', 'gauge-002']) await publish(clients.find((c) => c.options.clientId === id)!, `devices/${id}/telemetry`, '');
    await eventually(() => letters.length >= before + 3, 30_000, 'three dead letters');
    const fresh = letters.slice(before);
    expect(fresh.map((l) => l.deviceId).sort()).toEqual(['air-001', 'air-002', 'gauge-002']);
    for (const l of fresh) expect(l.code).toBe('GANZHI_ERR_NORM_EMPTY');
  });
});

describe('oversize payloads and bad HTTP input', () => {
  it('an oversize publish gets no PUBACK (the connection closes) and leaves a dead letter', async () => {
    const before = letters.length;
    const c = await connect(p.mqttUrl, 'air-001', undefined, { clientId: 'air-001-big' });
    c.on('error', () => undefined);
    const acked = await new Promise<boolean>((resolve) => {
      c.publish('devices/air-001/telemetry', Buffer.alloc(65_536 + 100, 0x41), { qos: 1 }, (err) => resolve(!err));
      c.once('close', () => resolve(false));
    });
    expect(acked).toBe(false);
    c.end(true);
    await eventually(() => letters.slice(before).some((l) => l.code === 'GANZHI_ERR_GW_PAYLOAD_TOO_LARGE'), 30_000, 'the oversize dead letter');
  });

  it('a malformed URL gets 400 (or 401 without credentials), never 500', async () => {
    const url = `${p.httpUrl}/api/alerts/%E0%A4%A/acknowledge`;
    const anonymous = await fetch(url, { method: 'POST' });
    expect([400, 401]).toContain(anonymous.status);
    const authed = await fetch(url, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('op-alice:demo-op-alice').toString('base64')}`, 'content-type': 'application/json' }, body: '{}' });
    expect(authed.status).toBe(400);
  });
});
