import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { eventually } from './helpers/pipeline';
import { ASCII_STATION, STATION, hj212, hj212Answers, qn, setupLinks, sl651, sl651Answers, sl651Ascii } from './helpers/protocol-links';

const t = setupLinks('links-mqtt');

async function open(username: string, password: string): Promise<mqtt.MqttClient> {
  const url = `mqtt://127.0.0.1:${t.gateway.ports().mqtt}`;
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { username, password, reconnectPeriod: 0, clientId: `${username}-${Math.random().toString(36).slice(2, 8)}` });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

describe('HJ 212 and SL 651 devices publishing over MQTT get the answers they ask for', () => {
  it('publishes CN 9014 and the SL 651 acknowledgements (HEX, ASCII, hex text) on devices/{id}/commands/answer after the append', async () => {
    const clients = await Promise.all([open('logger-1', '123456'), open('rtu-1', '1234'), open('rtu-ascii', '4321')]);
    const [logger, rtu, ascii] = clients;
    const got: { topic: string; payload: Buffer }[] = [];
    try {
      for (const [c, id] of [[logger, 'logger-1'], [rtu, 'rtu-1'], [ascii, 'rtu-ascii']] as const) {
        c.on('message', (topic, payload) => got.push({ topic, payload }));
        await c.subscribeAsync(`devices/${id}/commands/#`, { qos: 1 });
      }
      const answersOn = (id: string) => got.filter((g) => g.topic === `devices/${id}/commands/answer`);
      await logger.publishAsync('devices/logger-1/telemetry', hj212(60), { qos: 1 });
      await logger.publishAsync('devices/logger-1/telemetry', hj212(61, { flag: 4 }), { qos: 1 }); // asks for nothing
      await rtu.publishAsync('devices/rtu-1/telemetry', sl651(60), { qos: 1 });
      await rtu.publishAsync('devices/rtu-1/telemetry', sl651(61).toString('hex').toUpperCase(), { qos: 1 }); // the same frame as hex text
      await ascii.publishAsync('devices/rtu-ascii/telemetry', sl651Ascii(60), { qos: 1 });
      await eventually(() => answersOn('logger-1').length >= 1 && answersOn('rtu-1').length >= 2 && answersOn('rtu-ascii').length >= 1, 10_000, 'four answers');

      expect(answersOn('logger-1').map((a) => hj212Answers(a.payload))).toEqual([[{ CN: '9014', QN: qn(60), cp: '' }]]);
      const [bin, text] = answersOn('rtu-1');
      expect(sl651Answers(bin!.payload)).toEqual([{ serial: 60, end: 'ESC', station: STATION, funcCode: 0x32, mode: 'hex' }]);
      // answered in the form it came in: hex text
      expect(text!.payload.toString('latin1')).toMatch(/^7E7E[0-9A-F]+$/);
      expect(sl651Answers(Buffer.from(text!.payload.toString('latin1'), 'hex'))).toEqual([{ serial: 61, end: 'ESC', station: STATION, funcCode: 0x32, mode: 'hex' }]);
      const [asc] = answersOn('rtu-ascii');
      expect(asc!.payload[0]).toBe(0x01);
      expect(sl651Answers(asc!.payload)).toEqual([{ serial: 60, end: 'ESC', station: ASCII_STATION, funcCode: 0x32, mode: 'ascii' }]);

      // and the frames are on the bus as MQTT payloads always were
      await eventually(() => t.telemetryOf('rtu-ascii').length >= 1 && t.telemetryOf('rtu-1').length >= 2, 10_000, 'the MQTT reports');
      expect(Buffer.from(t.telemetryOf('rtu-ascii')[0]!.payload, 'base64').equals(sl651Ascii(60))).toBe(true);
      expect(answersOn('logger-1')).toHaveLength(1);
    } finally {
      for (const c of clients) await c.endAsync();
    }
  });
});
