import { describe, expect, it } from 'vitest';
import { encodeSl651, normalize } from '@ganzhi/codecs';
import { eventually } from './helpers/pipeline';
import { ASCII_STATION, STATION, T0, blockedBus, setupLinks, sl651, sl651Answers, sl651Ascii, SL651_KEEP_ALIVE } from './helpers/protocol-links';

const t = setupLinks('links-sl651');

const storedHex = (deviceId: string) => t.telemetryOf(deviceId).map((r) => Buffer.from(r.payload, 'base64').toString('hex'));
/** A frame with its last CRC byte (HEX) or character (ASCII) changed. */
function withBadCrc(frame: Buffer): Buffer {
  const bad = Buffer.from(frame);
  if (bad[0] === 0x01) bad[bad.length - 1] = bad[bad.length - 1] === 0x30 ? 0x31 : 0x30;
  else bad[bad.length - 1]! ^= 0xff;
  return bad;
}

describe('SL 651 HEX mode over TCP', () => {
  it('acknowledges each report after storing it (ESC), asks for a bad CRC again (NAK), skips garbage, keeps keep-alives off the bus', async () => {
    const c = await t.link(t.gateway.ports().sl651);
    c.send(Buffer.concat([sl651(1), SL651_KEEP_ALIVE, Buffer.from('AT+CSQ\r\n'), withBadCrc(sl651(2)), sl651(3)]));
    const rx = await c.waitFor((b) => sl651Answers(b).length >= 3, 20_000, 'three answers');
    expect(sl651Answers(rx)).toEqual([
      { serial: 1, end: 'ESC', station: STATION, funcCode: 0x32, mode: 'hex' },
      { serial: 2, end: 'NAK', station: STATION, funcCode: 0x32, mode: 'hex' },
      { serial: 3, end: 'ESC', station: STATION, funcCode: 0x32, mode: 'hex' },
    ]);
    await eventually(() => storedHex('rtu-1').includes(sl651(3).toString('hex')), 10_000, 'report 3 on the bus');
    expect(storedHex('rtu-1')).toEqual([sl651(1).toString('hex'), sl651(3).toString('hex')]);
    expect(t.telemetryOf('rtu-1')[0]!.encoding).toBe('base64');
    await eventually(() => t.deadOf('sl651').length >= 2, 10_000, 'dead letters');
    const dead = t.deadOf('sl651');
    expect(dead.map((d) => d.code).sort()).toEqual(['GANZHI_ERR_GW_BAD_CRC', 'GANZHI_ERR_GW_BAD_FRAME']);
    expect(dead.find((d) => d.code === 'GANZHI_ERR_GW_BAD_FRAME')!.value.toString()).toBe('AT+CSQ\r\n');
    expect(t.gateway.stats().links.keepAlives).toBeGreaterThanOrEqual(1);
    expect(c.isClosed()).toBe(false);
  });

  it('disconnects a station with a wrong password or an unknown address, without storing or answering', async () => {
    const c = await t.link(t.gateway.ports().sl651);
    c.send(sl651(9, 'BEEF'));
    await c.closed;
    expect(c.received().length).toBe(0);
    const other = await t.link(t.gateway.ports().sl651);
    other.send(encodeSl651({ centre: 1, station: '0099999999', password: '1234', funcCode: 0x32, serial: 1, sendTime: T0, groups: [] }));
    await other.closed;
    expect(other.received().length).toBe(0);
    const good = await t.link(t.gateway.ports().sl651);
    good.send(sl651(10));
    await eventually(() => t.telemetryOf('rtu-1').some((r) => r.payload === sl651(10).toString('base64')), 10_000, 'the good report');
    expect(t.telemetryOf('rtu-1').some((r) => r.payload === sl651(9, 'BEEF').toString('base64'))).toBe(false);
    expect(t.watch.raw.some((r) => Buffer.from(r.payload, 'base64').includes(Buffer.from('0099999999', 'hex')))).toBe(false);
  });
});

describe('SL 651 ASCII mode (SOH) over TCP', () => {
  it('acknowledges each ASCII report in ASCII mode after storing it, NAKs a bad CRC in ASCII, dead-letters garbage', async () => {
    const c = await t.link(t.gateway.ports().sl651);
    // line noise with SOH bytes in it between the frames, and a report split across two writes
    const r3 = sl651Ascii(3);
    c.send(Buffer.concat([sl651Ascii(1), Buffer.from('\x01AT\x01+CSQ\r\n'), withBadCrc(sl651Ascii(2)), r3.subarray(0, 30)]));
    c.send(r3.subarray(30));
    const rx = await c.waitFor((b) => sl651Answers(b).length >= 3, 20_000, 'three ASCII answers');
    expect(sl651Answers(rx)).toEqual([
      { serial: 1, end: 'ESC', station: ASCII_STATION, funcCode: 0x32, mode: 'ascii' },
      { serial: 2, end: 'NAK', station: ASCII_STATION, funcCode: 0x32, mode: 'ascii' },
      { serial: 3, end: 'ESC', station: ASCII_STATION, funcCode: 0x32, mode: 'ascii' },
    ]);
    await eventually(() => storedHex('rtu-ascii').includes(sl651Ascii(3).toString('hex')), 10_000, 'report 3 on the bus');
    expect(storedHex('rtu-ascii')).toEqual([sl651Ascii(1).toString('hex'), sl651Ascii(3).toString('hex')]);
    // stored as MQTT payloads are: the normalizer reads them into river readings
    const device = t.registry.device('rtu-ascii')!;
    const readings = normalize(t.telemetryOf('rtu-ascii')[1]!, device);
    expect(readings.ok && readings.readings[0]).toMatchObject({ deviceId: 'rtu-ascii', ts: T0 + 3 * 60_000, metrics: { waterLevel: { value: 3.03, unit: 'm' } } });
    await eventually(() => t.deadOf('sl651').filter((d) => d.reason.includes('ASCII') || d.value.includes('CSQ')).length >= 2, 10_000, 'dead letters');
    expect(t.deadOf('sl651').find((d) => d.value.toString('latin1') === '\x01AT\x01+CSQ\r\n')?.code).toBe('GANZHI_ERR_GW_BAD_FRAME');
    expect(t.deadOf('sl651').find((d) => d.value.equals(withBadCrc(sl651Ascii(2))))?.code).toBe('GANZHI_ERR_GW_BAD_CRC');
    expect(t.statusOf('rtu-ascii')[0]).toBe('online');
    expect(c.isClosed()).toBe(false);
  });

  it('disconnects an ASCII station with a wrong password without answering', async () => {
    const c = await t.link(t.gateway.ports().sl651);
    c.send(sl651Ascii(9, '9999'));
    await c.closed;
    expect(c.received().length).toBe(0);
    expect(storedHex('rtu-ascii')).not.toContain(sl651Ascii(9, '9999').toString('hex'));
  });

  it('keeps a link to one encoding (§6.1.2): the other one is dead-lettered unanswered, the link goes on', async () => {
    // rtu-ascii is registered for ASCII mode: a HEX frame from it is refused
    const pinned = await t.link(t.gateway.ports().sl651);
    pinned.send(Buffer.concat([sl651(20, '4321', ASCII_STATION), sl651Ascii(21)]));
    await pinned.waitFor((b) => sl651Answers(b).length >= 1, 20_000, 'the ASCII answer');
    expect(sl651Answers(pinned.received())).toEqual([{ serial: 21, end: 'ESC', station: ASCII_STATION, funcCode: 0x32, mode: 'ascii' }]);
    await eventually(() => t.deadOf('sl651').some((d) => d.reason.includes('registered for SL 651 ASCII mode')), 10_000, 'the pinned-mode dead letter');

    // rtu-1 has no pinned encoding: its first frame sets the link's
    const free = await t.link(t.gateway.ports().sl651);
    free.send(Buffer.concat([sl651(30), sl651Ascii(31, '1234', STATION), sl651(32)]));
    await free.waitFor((b) => sl651Answers(b).length >= 2, 20_000, 'two HEX answers');
    expect(sl651Answers(free.received()).map((a) => [a.serial, a.mode])).toEqual([
      [30, 'hex'],
      [32, 'hex'],
    ]);
    await eventually(() => t.deadOf('sl651').some((d) => d.reason.includes('one encoding: ascii frame after hex')), 10_000, 'the mixed-link dead letter');
    expect(storedHex('rtu-1')).not.toContain(sl651Ascii(31, '1234', STATION).toString('hex'));
    expect(free.isClosed()).toBe(false);
  });
});

describe('SL 651 acknowledgements wait for the bus', () => {
  for (const mode of ['hex', 'ascii'] as const) {
    it(`withholds the ${mode.toUpperCase()} acknowledgement while the bus cannot take the report, sends it once appended`, async () => {
      const blocked = await blockedBus(t.dir);
      const gw = await t.startGateway(blocked.bus);
      try {
        const c = await t.link(gw.ports().sl651);
        c.send(mode === 'hex' ? sl651(41) : sl651Ascii(41));
        await eventually(() => blocked.waiting() >= 1, 10_000, 'the append to be held by the bus');
        expect(c.received().length).toBe(0);
        expect(gw.stats().links.answered).toBe(0);
        blocked.release();
        const rx = await c.waitFor((b) => sl651Answers(b).length === 1, 20_000, 'the acknowledgement after the release');
        expect(sl651Answers(rx)).toEqual([{ serial: 41, end: 'ESC', station: mode === 'hex' ? STATION : ASCII_STATION, funcCode: 0x32, mode }]);
        expect(gw.stats().links.accepted).toBe(1);
      } finally {
        await gw.close();
        await blocked.close();
      }
    });
  }
});
