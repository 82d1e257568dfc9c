import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt-packet';
import type { Client } from 'aedes';
import { forgetConnectPassword, frameGuard } from './frame-guard';

/** A client as Aedes makes it, as far as the guard sees it: a real mqtt-packet parser and a socket. */
function fakeClient(id: string) {
  const parser = mqtt.parser();
  const packets: mqtt.Packet[] = [];
  parser.on('packet', (p: mqtt.Packet) => packets.push(p));
  const conn = { destroyed: false, destroy() { conn.destroyed = true; } };
  const client = { id, _parser: parser, conn } as unknown as Client;
  return { client, parser, packets, conn };
}

const publish = (topic: string, payload: Buffer) =>
  mqtt.generate({ cmd: 'publish', topic, payload, qos: 1, messageId: 7, retain: false, dup: false });

describe('frame guard', () => {
  it('lets packets under the limit through, whole or in pieces', () => {
    const guard = frameGuard(1024, () => expect.unreachable('no packet is over the limit'));
    const c = fakeClient('gauge-1');
    guard(c.client);
    const bytes = publish('devices/gauge-1/telemetry', Buffer.alloc(900, 0x20));
    c.parser.parse(bytes.subarray(0, 500));
    c.parser.parse(bytes.subarray(500));
    expect(c.packets).toHaveLength(1);
    expect((c.packets[0] as mqtt.IPublishPacket).payload).toHaveLength(900);
    expect(c.conn.destroyed).toBe(false);
  });

  it('closes the connection once more than the limit is buffered for one packet, naming its client', () => {
    const over: [string, number][] = [];
    const guard = frameGuard(1024, (client, bytes) => over.push([client.id, bytes]));
    const a = fakeClient('gauge-a');
    const b = fakeClient('gauge-b');
    guard(a.client);
    guard(b.client);
    const big = publish('devices/gauge-b/telemetry', Buffer.alloc(200_000, 0x20));
    b.parser.parse(big.subarray(0, 600));
    expect(b.conn.destroyed).toBe(false);
    b.parser.parse(big.subarray(600, 1600));
    expect(b.conn.destroyed).toBe(true);
    // the unparsed bytes, after the fixed header the parser has taken
    expect(over).toHaveLength(1);
    expect(over[0]![0]).toBe('gauge-b');
    expect(over[0]![1]).toBeGreaterThan(1024);
    expect(over[0]![1]).toBeLessThanOrEqual(1600);
    expect(b.packets).toHaveLength(0);
    // the other client shares the guard and is untouched
    a.parser.parse(publish('devices/gauge-a/telemetry', Buffer.from('{"waterLevel":1}')));
    expect(a.packets).toHaveLength(1);
    expect(a.conn.destroyed).toBe(false);
  });

  it('guards a client once, however often it is called', () => {
    const over: number[] = [];
    const guard = frameGuard(100, (_c, bytes) => over.push(bytes));
    const c = fakeClient('gauge-c');
    guard(c.client);
    guard(c.client);
    c.parser.parse(publish('devices/gauge-c/telemetry', Buffer.alloc(1000, 0x20)).subarray(0, 200));
    expect(over).toHaveLength(1); // one wrapper, not two nested ones
    expect(over[0]).toBeGreaterThan(100);
  });
});

describe('the CONNECT packet after login', () => {
  it('keeps no password, and the connection still parses what follows', () => {
    const c = fakeClient('gauge-1');
    c.parser.parse(mqtt.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'gauge-1', keepalive: 60, username: 'gauge-1', password: Buffer.from('s3cret') }));
    const settings = (c.parser as unknown as { settings: { password?: Buffer; protocolVersion: number } }).settings;
    expect(settings.password?.toString()).toBe('s3cret'); // what mqtt-packet keeps, and this removes
    forgetConnectPassword(c.client);
    expect(settings.password).toBeUndefined();
    expect(settings.protocolVersion).toBe(4);
    c.parser.parse(publish('devices/gauge-1/telemetry', Buffer.from('{"waterLevel":1}')));
    expect(c.packets.map((p) => p.cmd)).toEqual(['connect', 'publish']);
  });
});
