import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '@ganzhi/schemas';
import { normalize } from './normalize';
import { crc16Modbus, hex4 } from './crc';
import { decodeSl651AsciiBody, decodeSl651AsciiFrame, encodeSl651Ascii } from './sl651-ascii';
import { encodeSl651 } from './sl651-encode';
import { sl651AsciiAnswerTo, sl651AsciiSerial } from './sl651-answer';
import { device, envelope } from './__vectors__/fixtures';

const gauge = device('river_gauge', { format: 'sl651' });
const env = (payload: string, encoding: 'utf8' | 'base64' = 'base64') => envelope('river_gauge', payload, { format: 'sl651', encoding });
/** 2024-06-01 12:00 China time. */
const OBS = Date.UTC(2024, 5, 1, 4, 0, 0);
const input = {
  centre: 1,
  station: '0012345678',
  password: '1234',
  funcCode: 0x32,
  serial: 42,
  sendTime: OBS + 5000,
  groups: [{ obsTime: OBS, elements: [{ id: 'Z' as const, value: 10.49 }, { id: 'PJ' as const, value: 4 }, { id: 'VT' as const, value: 12.6 }, { id: 'Q' as const, value: -1.5 }] }],
};

/** An ASCII frame around `body` (header fields as the standard lays them out), with its CRC. */
function asciiFrame(body: string, fn = '32', dir = '0'): Buffer {
  const head = `01${'0012345678'}1234${fn}${dir}${body.length.toString(16).toUpperCase().padStart(3, '0')}`;
  const pre = Buffer.concat([Buffer.from([0x01]), Buffer.from(head, 'latin1'), Buffer.from([0x02]), Buffer.from(body, 'latin1'), Buffer.from([0x03])]);
  return Buffer.concat([pre, Buffer.from(hex4(crc16Modbus(pre, 0, pre.length)), 'latin1')]);
}

function failure(result: ReturnType<typeof normalize>): { code: ErrorCode; reason: string } {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.readings)}`);
  return result;
}

describe('SL 651 ASCII mode (§6.4)', () => {
  it('encodes the header as hex text and the body as space-separated identifiers and values ending with a space', () => {
    const f = encodeSl651Ascii(input);
    expect(f[0]).toBe(0x01);
    const text = f.toString('latin1');
    const body = text.slice(24, text.indexOf('\x03'));
    expect(body).toBe('002A 240601120005 ST 0012345678 H TT 2406011200 Z 10.490 PJ 4.0 VT 12.60 Q -1.500 ');
    // centre 01, station, password, function 32, up (0) + body length in 3 hex digits, STX
    expect(text.slice(1, 24)).toBe(`01001234567812343200${body.length.toString(16).toUpperCase()}\x02`);
    expect(text.slice(-4)).toBe(hex4(crc16Modbus(f, 0, f.length - 4)));
  });

  it('decodes what it encodes, with the same element table as HEX mode', () => {
    const decoded = decodeSl651AsciiFrame(encodeSl651Ascii(input));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value.frame).toMatchObject({ mode: 'ascii', direction: 'up', centre: 1, station: '0012345678', password: '1234', funcCode: 0x32, endChar: 'ETX', crcValid: true });
    const body = decodeSl651AsciiBody(decoded.value.frame);
    expect(body.ok && body.value).toMatchObject({
      serial: 42,
      sendTime: '240601120005',
      station: '0012345678',
      stationClass: 'H',
      obsTimes: ['2406011200'],
      elements: [
        { id: 'Z', code: 0x39, value: 10.49 },
        { id: 'PJ', code: 0x20, value: 4 },
        { id: 'VT', code: 0x38, value: 12.6 },
        { id: 'Q', code: 0x27, value: -1.5 },
      ],
    });
  });

  it('gives the same readings as the HEX frame of the same report', () => {
    const ascii = normalize(env(encodeSl651Ascii(input).toString('base64')), gauge);
    const hex = normalize(env(encodeSl651(input).toString('base64')), gauge);
    expect(ascii.ok && hex.ok).toBe(true);
    if (!ascii.ok || !hex.ok) return;
    expect(ascii.readings).toEqual(hex.readings);
    expect(ascii.readings[0]).toMatchObject({ ts: OBS, metrics: { waterLevel: { value: 10.49, unit: 'm' }, rainToday: { value: 4 }, batteryV: { value: 12.6 }, flow: { value: -1.5 } } });
  });

  it('reads the standard\'s example body (ST 0012345678 H TT 1707181100 PJ 4.0 ...) sent as text', () => {
    const frame = asciiFrame('0001 170718110500 ST 0012345678 H TT 1707181100 PJ 4.0 Z 1.250 ZT 00000004 ');
    const r = normalize(env(frame.toString('latin1'), 'utf8'), gauge);
    expect(r.ok && r.readings[0]).toMatchObject({ ts: Date.UTC(2017, 6, 18, 3, 0), metrics: { rainToday: { value: 4 }, waterLevel: { value: 1.25 } }, states: { waterLevelAlarm: true, batteryLow: false } });
  });

  it('re-times the elements after a second TT and reads DRP series', () => {
    const decoded = decodeSl651AsciiFrame(asciiFrame('0002 240601120500 ST 0012345678 H TT 2406011100 Z 1.000 TT 2406011200 Z 1.100 DRP 0102FF000000000000000000 '));
    if (!decoded.ok) throw new Error(decoded.reason);
    const body = decodeSl651AsciiBody(decoded.value.frame);
    expect(body.ok && body.value.elements.map((e) => [e.id, e.value, e.obsTime])).toEqual([
      ['Z', 1, '2406011100'],
      ['Z', 1.1, '2406011200'],
    ]);
    expect(body.ok && body.value.series[0]!.values.slice(0, 3)).toEqual([0.1, 0.2, null]);
  });

  it.each([
    ['a decimal comma', 'Z 1,250', /element Z: value "1,250" is not a decimal number \(a decimal comma; SL 651 uses "."\)/],
    ['text for a number', 'Z abc', /element Z: value "abc" is not a decimal number/],
    ['two points', 'PJ 4.0.1', /element PJ: value "4.0.1"/],
    ['a bad observation time', 'TT 24060112', /TT: observation time "24060112" is not 10 digits/],
  ])('refuses %s with a reason', (_what, tail, reason) => {
    const f = failure(normalize(env(asciiFrame(`0003 240601120500 ST 0012345678 H TT 2406011200 ${tail} `).toString('base64')), gauge));
    expect(f.code).toBe('GANZHI_ERR_NORM_BAD_FRAME');
    expect(f.reason).toMatch(reason);
  });

  it('rejects a wrong CRC and a down-frame with typed failures', () => {
    const good = encodeSl651Ascii(input);
    const bad = Buffer.from(good);
    bad[bad.length - 1] = bad[bad.length - 1] === 0x30 ? 0x31 : 0x30;
    expect(failure(normalize(env(bad.toString('base64')), gauge)).code).toBe('GANZHI_ERR_NORM_BAD_CRC');
    expect(failure(normalize(env(asciiFrame('0001 240601120500 ', '32', '8').toString('base64')), gauge)).code).toBe('GANZHI_ERR_NORM_UNSUPPORTED');
  });

  it.each([['toString'], ['constructor'], ['__proto__'], ['valueOf'], ['hasOwnProperty']])('takes %s as an unknown identifier without throwing', (id) => {
    const r = normalize(env(asciiFrame(`0004 240601120500 ST 0012345678 H TT 2406011200 ${id} 1.0 Z 2.000 `).toString('base64')), gauge);
    expect(r.ok && r.readings[0]!.metrics).toEqual({ waterLevel: { value: 2, unit: 'm', quality: 'N' } });
  });
});

describe('SL 651 ASCII-mode answers (the centre answers a station in its own encoding)', () => {
  const up = () => {
    const d = decodeSl651AsciiFrame(encodeSl651Ascii(input));
    if (!d.ok) throw new Error(d.reason);
    return d.value.frame;
  };
  const at = Date.UTC(2024, 5, 1, 4, 0, 7); // 12:00:07 China time

  it('acknowledges with an ASCII down-frame: station first, "8" + length, the up-frame\'s serial, ESC, a CRC that checks', () => {
    const ack = sl651AsciiAnswerTo(up(), 'ack', at);
    const text = ack.toString('latin1');
    expect(text.slice(0, 24)).toBe('\x01' + '0012345678' + '01' + '1234' + '32' + '8012' + '\x02');
    expect(text.slice(24, 24 + 0x12)).toBe('002A 240601120007 ');
    expect(ack[24 + 0x12]).toBe(0x1b);
    const d = decodeSl651AsciiFrame(ack);
    expect(d.ok && d.value.frame).toMatchObject({ direction: 'down', centre: 1, station: '0012345678', password: '1234', funcCode: 0x32, endChar: 'ESC', crcValid: true });
    expect(d.ok && d.value.end).toBe(ack.length);
    expect(d.ok && sl651AsciiSerial(d.value.frame)).toBe(42);
  });

  it('asks for a resend with NAK and answers a packet that more follow with ACK', () => {
    const nak = decodeSl651AsciiFrame(sl651AsciiAnswerTo(up(), 'nak', at));
    expect(nak.ok && nak.value.frame.endChar).toBe('NAK');
    const more = decodeSl651AsciiFrame(sl651AsciiAnswerTo({ ...up(), endChar: 'ETB' }, 'ack', at));
    expect(more.ok && more.value.frame.endChar).toBe('ACK');
  });

  it('reads serial 0 from a body without one', () => {
    expect(sl651AsciiSerial({ body: '' })).toBe(0);
    expect(sl651AsciiSerial({ body: 'ST 0012345678 ' })).toBe(0);
  });
});

describe('empty SL 651 payloads', () => {
  it.each([
    ['base64', ''],
    ['utf8', ''],
    ['utf8', '   '],
  ] as const)('give a typed failure (%s %j)', (encoding, payload) => {
    const f = failure(normalize(env(payload, encoding), gauge));
    expect(f).toEqual({ ok: false, code: 'GANZHI_ERR_NORM_BAD_FRAME', reason: 'SL 651 payload is empty' });
  });
});
