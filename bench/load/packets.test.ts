import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { createSplitter, encodeConnect, encodePublishQos1, topicField } from './packets';

function parseAll(buf: Buffer): mqttPacket.Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const out: mqttPacket.Packet[] = [];
  parser.on('packet', (p) => out.push(p));
  parser.on('error', (err) => {
    throw err;
  });
  parser.parse(buf);
  return out;
}

describe('hand-encoded MQTT packets', () => {
  it('encodes a CONNECT that mqtt-packet reads back with the credentials', () => {
    const [p] = parseAll(encodeConnect('dev-1', 0, 'dev-1', 'demo-dev-1')) as mqttPacket.IConnectPacket[];
    expect(p).toMatchObject({ cmd: 'connect', clientId: 'dev-1', username: 'dev-1', keepalive: 0, clean: true, protocolVersion: 4 });
    expect(p!.password?.toString()).toBe('demo-dev-1');
  });

  it('encodes an anonymous CONNECT without username or password flags', () => {
    const [p] = parseAll(encodeConnect('anon', 30)) as mqttPacket.IConnectPacket[];
    expect(p).toMatchObject({ cmd: 'connect', clientId: 'anon', keepalive: 30 });
    expect(p!.username).toBeUndefined();
  });

  it('encodes QoS 1 PUBLISH packets of any remaining length', () => {
    for (const size of [10, 200, 20_000]) {
      const payload = `{"ts":1,"x":"${'a'.repeat(size)}"}`;
      const [p] = parseAll(encodePublishQos1(topicField('devices/dev-1/telemetry'), 513, payload)) as mqttPacket.IPublishPacket[];
      expect(p).toMatchObject({ cmd: 'publish', qos: 1, messageId: 513, topic: 'devices/dev-1/telemetry' });
      expect(p!.payload.toString()).toBe(payload);
    }
  });
});

describe('frame splitter', () => {
  it('yields each packet once, whatever the chunk boundaries', () => {
    const stream = Buffer.concat([
      mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }),
      mqttPacket.generate({ cmd: 'puback', messageId: 7 }),
      mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(300, 1), qos: 0, retain: false, dup: false }),
      mqttPacket.generate({ cmd: 'puback', messageId: 8 }),
    ]);
    for (const cut of [1, 2, 3, 5, 100, stream.length]) {
      const seen: [number, number][] = [];
      const push = createSplitter((type, _flags, buf, start, end) => seen.push([type, type === 4 ? buf.readUInt16BE(start) : end - start]));
      for (let i = 0; i < stream.length; i += cut) push(stream.subarray(i, i + cut));
      expect(seen).toEqual([
        [2, 2],
        [4, 7],
        [3, 303],
        [4, 8],
      ]);
    }
  });
});
