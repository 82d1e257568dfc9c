import { describe, expect, it } from 'vitest';
import { eventually } from './helpers/pipeline';
import { UITD, blockedBus, gbtAnswers, setupLinks, uitdFrame } from './helpers/protocol-links';

const t = setupLinks('links-gbt26875');

const storedHex = (deviceId: string) => t.telemetryOf(deviceId).map((r) => Buffer.from(r.payload, 'base64').toString('hex'));

describe('GB/T 26875.3 over TCP and UDP', () => {
  for (const udp of [false, true]) {
    const name = udp ? 'UDP' : 'TCP';
    it(`${name}: confirms stored data (command 3), denies a bad checksum (6), dead-letters garbage`, async () => {
      const port = udp ? t.gateway.ports().gbt26875Udp : t.gateway.ports().gbt26875Tcp;
      const c = await t.link(port, udp);
      // serials 64 and 320 put "@" (0x40) right after the "@@" head
      const base = udp ? 319 : 63;
      const bad = uitdFrame(base + 2);
      bad[bad.length - 3]! ^= 0x01;
      const garbage = Buffer.from('\x00\xff garbage');
      if (udp) {
        // one frame per datagram, as UITDs send them; garbage in a datagram of its own
        for (const d of [uitdFrame(base + 1), garbage, bad, uitdFrame(base + 3)]) c.send(d);
      } else c.send(Buffer.concat([uitdFrame(base + 1), garbage, bad, uitdFrame(base + 3)]));
      const rx = await c.waitFor((b) => gbtAnswers(b).length >= 3, 20_000, 'three answers');
      const answers = gbtAnswers(rx);
      // UDP datagrams may be answered out of order; TCP in order
      const sorted = udp ? [...answers].sort((a, b) => a.serial - b.serial) : answers;
      expect(sorted).toEqual([
        { serial: base + 1, command: 'confirm', destination: UITD },
        { serial: base + 2, command: 'deny', destination: UITD },
        { serial: base + 3, command: 'confirm', destination: UITD },
      ]);
      await eventually(() => storedHex('uitd-1').includes(uitdFrame(base + 3).toString('hex')), 10_000, 'frame 3 on the bus');
      const stored = storedHex('uitd-1');
      expect(stored.filter((h) => h === uitdFrame(base + 1).toString('hex'))).toHaveLength(1);
      expect(stored).not.toContain(bad.toString('hex'));
      await eventually(() => t.deadOf('gbt26875').some((d) => d.value.equals(bad)), 10_000, 'the bad checksum dead-lettered');
      expect(t.deadOf('gbt26875').find((d) => d.value.equals(bad))?.code).toBe('GANZHI_ERR_GW_BAD_CRC');
      expect(t.deadOf('gbt26875').some((d) => d.code === 'GANZHI_ERR_GW_BAD_FRAME' && d.value.includes(Buffer.from('garbage')))).toBe(true);
      expect(c.isClosed()).toBe(false);
    });
  }

  it('denies an unknown source address and a UITD speaking from a peer outside its allow-list', async () => {
    const stranger = await t.link(t.gateway.ports().gbt26875Tcp);
    stranger.send(uitdFrame(1, '0000000000FF'));
    await stranger.closed;
    expect(gbtAnswers(stranger.received())).toEqual([{ serial: 1, command: 'deny', destination: '0000000000FF' }]);
    const outside = await t.link(t.gateway.ports().gbt26875Udp, true);
    outside.send(uitdFrame(2, '0000000000A2'));
    const rx = await outside.waitFor((b) => gbtAnswers(b).length === 1);
    expect(gbtAnswers(rx)).toEqual([{ serial: 2, command: 'deny', destination: '0000000000A2' }]);
    expect(t.telemetryOf('uitd-2')).toHaveLength(0);
    expect(t.gateway.stats().links.authFailures).toBeGreaterThanOrEqual(2);
  });

  for (const udp of [false, true]) {
    it(`${udp ? 'UDP' : 'TCP'}: withholds the confirm while the bus cannot take the frame, sends it once appended`, async () => {
      const blocked = await blockedBus(t.dir);
      const gw = await t.startGateway(blocked.bus);
      try {
        const c = await t.link(udp ? gw.ports().gbt26875Udp : gw.ports().gbt26875Tcp, udp);
        c.send(uitdFrame(41));
        await eventually(() => blocked.waiting() >= 1, 10_000, 'the append to be held by the bus');
        expect(c.received().length).toBe(0);
        expect(gw.stats().links.answered).toBe(0);
        blocked.release();
        const rx = await c.waitFor((b) => gbtAnswers(b).length === 1, 20_000, 'the confirm after the release');
        expect(gbtAnswers(rx)).toEqual([{ serial: 41, command: 'confirm', destination: UITD }]);
        expect(gw.stats().links.accepted).toBe(1);
      } finally {
        await gw.close();
        await blocked.close();
      }
    });
  }
});
