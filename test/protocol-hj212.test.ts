import { describe, expect, it } from 'vitest';
import { encodeHj212 } from '@ganzhi/codecs';
import { count } from './helpers/links';
import { eventually } from './helpers/pipeline';
import { MN, badHj212Crc, blockedBus, hj212, hj212Answers, qn, setupLinks } from './helpers/protocol-links';

const t = setupLinks('links-hj212');

describe('HJ 212 over TCP', () => {
  it('stores every good frame and answers with CN 9014 and its QN; garbage and a bad CRC between them are answered and dead-lettered', async () => {
    const c = await t.link(t.gateway.ports().hj212);
    const f3 = hj212(3);
    c.send(hj212(1) + 'line noise\r\n' + badHj212Crc(hj212(2)) + f3.slice(0, 40));
    c.send(f3.slice(40) + hj212(4, { flag: 4 }) + hj212(5));
    const rx = await c.waitFor((b) => hj212Answers(b).length >= 4, 20_000, 'four answers');
    expect(hj212Answers(rx)).toEqual([
      { CN: '9014', QN: qn(1), cp: '' },
      { CN: '9011', QN: qn(2), cp: 'QnRtn=9' },
      { CN: '9014', QN: qn(3), cp: '' },
      { CN: '9014', QN: qn(5), cp: '' }, // frame 4 has Flag=4: no answer asked
    ]);
    await eventually(() => t.telemetryOf('logger-1').some((r) => r.payload === hj212(5)), 10_000, 'frame 5 on the bus');
    const stored = t.telemetryOf('logger-1').map((r) => r.payload);
    for (const i of [1, 3, 4, 5]) expect(stored.filter((p) => p === hj212(i, i === 4 ? { flag: 4 } : {}))).toHaveLength(1);
    expect(stored.some((p) => p.includes(qn(2)))).toBe(false);
    expect(t.statusOf('logger-1')[0]).toBe('online');
    await eventually(() => t.deadOf('hj212').length >= 2, 10_000, 'dead letters');
    const dead = t.deadOf('hj212');
    expect(dead.map((d) => d.code).sort()).toEqual(['GANZHI_ERR_GW_BAD_CRC', 'GANZHI_ERR_GW_BAD_FRAME']);
    expect(dead.find((d) => d.code === 'GANZHI_ERR_GW_BAD_FRAME')!.value.toString()).toBe('line noise\r\n');
    expect(dead.find((d) => d.code === 'GANZHI_ERR_GW_BAD_CRC')!.value.toString()).toBe(badHj212Crc(hj212(2)));
    expect(c.isClosed()).toBe(false);

    c.end();
    await eventually(() => t.statusOf('logger-1').at(-1) === 'offline', 10_000, 'offline status');
  });

  it('refuses a wrong PW (QnRtn 3) and an unknown MN (QnRtn 4), closes, stores nothing', async () => {
    const wrong = await t.link(t.gateway.ports().hj212);
    wrong.send(hj212(10, { pw: '654321' }));
    await wrong.closed;
    expect(hj212Answers(wrong.received())).toEqual([{ CN: '9011', QN: qn(10), cp: 'QnRtn=3' }]);
    const stranger = await t.link(t.gateway.ports().hj212);
    stranger.send(hj212(11, { mn: 'NOBODY0000000001' }));
    await stranger.closed;
    expect(hj212Answers(stranger.received())).toEqual([{ CN: '9011', QN: qn(11), cp: 'QnRtn=4' }]);
    // a good frame after them reaches the bus; the refused ones never do
    const good = await t.link(t.gateway.ports().hj212);
    good.send(hj212(12));
    await eventually(() => t.telemetryOf('logger-1').some((r) => r.payload === hj212(12)), 10_000, 'the good frame');
    expect(t.watch.raw.some((r) => r.payload.includes(qn(10)) || r.payload.includes(qn(11)))).toBe(false);
    expect(t.gateway.stats().links.authFailures).toBeGreaterThanOrEqual(2);
  });

  it('binds the device to one connection: a second that authenticates replaces the first, one that does not leaves it', async () => {
    const first = await t.link(t.gateway.ports().hj212);
    first.send(hj212(20));
    await first.waitFor((b) => hj212Answers(b).length === 1);
    const impostor = await t.link(t.gateway.ports().hj212);
    impostor.send(hj212(21, { pw: 'guess1' }));
    await impostor.closed;
    expect(first.isClosed()).toBe(false);
    const second = await t.link(t.gateway.ports().hj212);
    second.send(hj212(22));
    await second.waitFor((b) => hj212Answers(b).length === 1);
    await first.closed;
    // a replaced connection does not make the device offline
    second.send(hj212(23));
    await second.waitFor((b) => hj212Answers(b).length === 2);
    expect(t.statusOf('logger-1').at(-1)).toBe('online');
  });

  it('answers a heartbeat (CN 9015) without storing it, and closes a connection that sends 8 bad frames before authenticating', async () => {
    const c = await t.link(t.gateway.ports().hj212);
    const beat = encodeHj212({ QN: qn(90), ST: '22', CN: '9015', PW: '123456', MN, Flag: 9, cp: '' });
    const keepAlives = t.gateway.stats().links.keepAlives;
    c.send(beat + hj212(91));
    const rx = await c.waitFor((b) => hj212Answers(b).length === 2);
    expect(hj212Answers(rx)).toEqual([
      { CN: '9014', QN: qn(90), cp: '' },
      { CN: '9014', QN: qn(91), cp: '' },
    ]);
    await eventually(() => t.telemetryOf('logger-1').some((r) => r.payload === hj212(91)), 10_000, 'the data frame');
    expect(t.watch.raw.some((r) => r.payload === beat)).toBe(false);
    expect(t.gateway.stats().links.keepAlives).toBe(keepAlives + 1);

    const noisy = await t.link(t.gateway.ports().hj212);
    noisy.send(Array.from({ length: 8 }, (_, i) => badHj212Crc(hj212(100 + i))).join('') + hj212(108));
    await noisy.closed;
    // each bad frame answered QnRtn=9, then closed: the good frame after them is never read
    expect(hj212Answers(noisy.received()).map((a) => a.cp)).toEqual(Array.from({ length: 8 }, () => 'QnRtn=9'));
    expect(t.telemetryOf('logger-1').some((r) => r.payload === hj212(108))).toBe(false);
  });

  it('withholds CN 9014 while the bus cannot take the frame, and sends it once the frame is appended', async () => {
    const blocked = await blockedBus(t.dir);
    const gw = await t.startGateway(blocked.bus);
    try {
      const c = await t.link(gw.ports().hj212);
      c.send(hj212(41));
      await eventually(() => blocked.waiting() >= 1, 10_000, 'the append to be held by the bus');
      expect(c.received().length).toBe(0);
      expect(gw.stats().links.answered).toBe(0);
      blocked.release();
      const rx = await c.waitFor((b) => hj212Answers(b).length === 1, 20_000, 'the answer after the release');
      expect(hj212Answers(rx)).toEqual([{ CN: '9014', QN: qn(41), cp: '' }]);
      expect(count(rx, qn(41))).toBe(1);
      expect(gw.stats().links.accepted).toBe(1);
    } finally {
      await gw.close();
      await blocked.close();
    }
  });
});

describe('slow, silent and endless HJ 212 connections are bounded', () => {
  it('closes a silent connection after the idle time (the device goes offline) and one whose partial frame outgrows the buffer', async () => {
    const gw = await t.startGateway(t.bus, { GANZHI_HJ212_IDLE_SEC: '1', GANZHI_PROTOCOL_MAX_BUFFER_BYTES: '16384' });
    try {
      const quiet = await t.link(gw.ports().hj212);
      quiet.send(hj212(70));
      await quiet.waitFor((b) => hj212Answers(b).length === 1);
      await quiet.closed; // nothing more is sent: the listener gives up on it
      await eventually(() => t.statusOf('logger-1').at(-1) === 'offline', 10_000, 'offline after the idle timeout');
      expect(gw.stats().links.idleClosed).toBeGreaterThanOrEqual(1);

      const endless = await t.link(gw.ports().hj212);
      endless.send(`##0100${'A'.repeat(20_000)}`);
      await endless.closed;
      expect(gw.stats().links.overflowClosed).toBe(1);
      const overflow = await eventually(() => t.watch.dead.find((d) => d.reason.includes('GANZHI_PROTOCOL_MAX_BUFFER_BYTES=16384')), 10_000, 'the overflow dead letter');
      expect(overflow.code).toBe('GANZHI_ERR_GW_BUFFER_LIMIT');
    } finally {
      await gw.close();
    }
  });
});
