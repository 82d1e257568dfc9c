import { describe, expect, it } from 'vitest';
import { HJ212_VECTORS } from './__vectors__/fixtures';
import { decodeHj212, detectHj212CrcVariant, hj212Crc, hj212CrcMatches, hj212FlagInfo, parseHj212Cp, type Hj212Frame } from './hj212';
import { encodeHj212 } from './hj212-encode';

function decoded(input: string | Uint8Array): Hj212Frame {
  const r = decodeHj212(input);
  if (!r.ok) throw new Error(`${r.code}: ${r.reason}`);
  return r.value.frame;
}

// The vector file names the ARC variant 'crc16-arc'; the device attribute calls it 'arc'.
const VARIANT_NAMES: Record<string, string> = { hj212: 'hj212', 'modbus-le': 'modbus-le', 'modbus-be': 'modbus-be', 'crc16-arc': 'arc' };
const HEADER_FIELDS = ['QN', 'ST', 'CN', 'PW', 'MN', 'Flag'] as const;

describe('HJ 212 vectors (shared/domain/vectors/hj212.json)', () => {
  it.each(HJ212_VECTORS)('$id: parses the fields and judges the CRC as given', (v) => {
    const f = decoded(v.frame);
    const e = v.expected;
    expect(f.declaredLen).toBe(e.declaredLen);
    expect(f.lenValid).toBe(e.lenValid);
    expect(f.crcInFrame).toBe(e.crcInFrame);
    expect(f.crcHj212Computed).toBe(e.crcHj212Computed);
    for (const k of HEADER_FIELDS) expect(f[k], k).toBe(e[k]);
    if (e.cpFields) expect({ ...f.cp.fields }).toMatchObject(e.cpFields);
    expect(f.cp.fields.DataTime).toBe(e.DataTime);
    expect(JSON.parse(JSON.stringify(f.cp.pollutants))).toEqual(e.pollutants);
    expect(hj212CrcMatches(f, 'hj212')).toBe(v.crcValid);
    const want = v.crcVariantThatMatches === null ? null : VARIANT_NAMES[v.crcVariantThatMatches];
    expect(detectHj212CrcVariant(f)).toBe(want);
  });

  it.each(HJ212_VECTORS)('$id: decodes the same from bytes as from text', (v) => {
    const fromBytes = decoded(Buffer.from(v.frame, 'utf8'));
    expect(fromBytes.crcHj212Computed).toBe(v.expected.crcHj212Computed);
    expect(fromBytes.CN).toBe(decoded(v.frame).CN);
  });
});

describe('HJ 212 CRC', () => {
  const segment = Buffer.from('QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&');

  it('computes the standard example 1C80 (the prose typo 1C08 is not it)', () => {
    expect(hj212Crc(segment, 'hj212')).toBe('1C80');
  });

  it('is not CRC-16/MODBUS: the two algorithms disagree on the same segment', () => {
    expect(hj212Crc(segment, 'modbus-be')).not.toBe('1C80');
    expect(hj212Crc(segment, 'modbus-le')).toBe(hj212Crc(segment, 'modbus-be').slice(2) + hj212Crc(segment, 'modbus-be').slice(0, 2));
  });

  it('compares the CRC in the frame case-insensitively', () => {
    const f = decoded('##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1c80\r\n');
    expect(hj212CrcMatches(f, 'hj212')).toBe(true);
  });

  it('leaves only 8 possible low bytes, the tell-tale of the HJ 212 algorithm', () => {
    const lows = new Set<string>();
    for (let i = 0; i < 200; i++) lows.add(hj212Crc(Buffer.from(`QN=${i};ST=22;CN=2011;CP=&&a34004-Rtd=${i * 7}&&`), 'hj212').slice(2));
    expect([...lows].every((b) => ['00', '01', '40', '41', '80', '81', 'C0', 'C1'].includes(b))).toBe(true);
  });

  it("accepts any CRC with the 'none' variant", () => {
    const f = decoded('##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&0000');
    expect(hj212CrcMatches(f, 'hj212')).toBe(false);
    expect(hj212CrcMatches(f, 'none')).toBe(true);
  });
});

describe('HJ 212 framing', () => {
  it('frames by the declared byte length, counting UTF-8 bytes of Chinese text', () => {
    const frame = encodeHj212({ QN: '20240601120000000', ST: '22', CN: '3020', PW: '123456', MN: 'MN1', Flag: 4, cp: { fields: { InfoId: 'i1', 'i1-Info': '监测点' } } });
    const f = decoded(frame);
    expect(f.lenValid).toBe(true);
    expect(f.declaredLen).toBe(Buffer.byteLength(f.segment));
    expect(f.declaredLen).toBeGreaterThan(f.segment.length);
    expect(f.cp.pollutants.i1).toEqual({ Info: '监测点' });
    expect(hj212CrcMatches(f, 'hj212')).toBe(true);
  });

  it('accepts frames longer than the standard 1024 bytes', () => {
    const pollutants: Record<string, Record<string, string>> = {};
    for (let i = 0; i < 60; i++) pollutants[`a9${String(i).padStart(4, '0')}`] = { Rtd: '12.345', Flag: 'N' };
    const f = decoded(encodeHj212({ ST: '22', CN: '2011', PW: '123456', MN: 'MN1', cp: { fields: { DataTime: '20240601120000' }, pollutants } }));
    expect(f.declaredLen).toBeGreaterThan(1024);
    expect(f.lenValid).toBe(true);
    expect(Object.keys(f.cp.pollutants)).toHaveLength(60);
  });

  it('decodes a frame without CR LF, and reports it', () => {
    const f = decoded(HJ212_VECTORS.find((v) => v.id === 'findstr-9301')!.frame);
    expect(f.terminated).toBe(false);
    expect(f.CN).toBe('2011');
  });

  it('decodes back-to-back frames, each ending where the next starts', () => {
    const a = encodeHj212({ ST: '22', CN: '2011', PW: 'p', MN: 'A', cp: 'DataTime=20240601120000;a34004-Rtd=1' });
    const b = encodeHj212({ ST: '22', CN: '2011', PW: 'p', MN: 'B', cp: 'DataTime=20240601120000;a34004-Rtd=2' }, { crlf: false });
    const bytes = Buffer.from(a + b);
    const first = decodeHj212(bytes);
    expect(first.ok && first.value.frame.MN).toBe('A');
    const second = first.ok ? decodeHj212(bytes, first.value.end) : first;
    expect(second.ok && second.value.frame.MN).toBe('B');
    expect(second.ok && second.value.end).toBe(bytes.length);
  });

  it('reports a wrong declared length and still finds the CRC', () => {
    const good = encodeHj212({ ST: '22', CN: '2011', PW: 'p', MN: 'A', cp: 'a34004-Rtd=1' });
    const f = decoded(`##0010${good.slice(6)}`);
    expect(f.lenValid).toBe(false);
    expect(f.MN).toBe('A');
    expect(hj212CrcMatches(f, 'hj212')).toBe(true);
  });

  it.each([
    ['no ## header', 'QN=1;CP=&&&&1234', /"##"/],
    ['a non-numeric length', '##01x1QN=1;CP=&&&&1234', /4 decimal digits/],
    ['no CP', '##0010QN=1;ST=22&&1234', /CP/],
    ['too few bytes', '##00', /too short/],
  ])('fails with BAD_FRAME on %s', (_name, text, reason) => {
    const r = decodeHj212(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('GANZHI_ERR_NORM_BAD_FRAME');
      expect(r.reason).toMatch(reason);
    }
  });
});

describe('HJ 212 CP grammar', () => {
  it('groups code-suffix keys per code and keeps plain keys as fields', () => {
    const cp = parseHj212Cp('DataTime=20240601120000;a34004-Rtd=35,a34004-Flag=N;a21026-ZsRtd=1.5,a21026-EFlag=A01');
    expect({ ...cp.fields }).toEqual({ DataTime: '20240601120000' });
    expect(JSON.parse(JSON.stringify(cp.pollutants))).toEqual({ a34004: { Rtd: '35', Flag: 'N' }, a21026: { ZsRtd: '1.5', EFlag: 'A01' } });
  });

  it('tolerates a trailing ";", empty items and items without "="', () => {
    const cp = parseHj212Cp('a34004-Rtd=35;;junk;a34002-Rtd=60;');
    expect(Object.keys(cp.pollutants)).toEqual(['a34004', 'a34002']);
  });

  it('keeps the last value of a repeated key', () => {
    expect(parseHj212Cp('A1001-Rtd=1;A1001-Rtd=2').pollutants.A1001!.Rtd).toBe('2');
  });

  it('does not let a "__proto__" code touch object prototypes', () => {
    const cp = parseHj212Cp('__proto__-Rtd=1;constructor-Rtd=2');
    expect(cp.pollutants.__proto__).toEqual({ Rtd: '1' });
    expect(({} as Record<string, unknown>).Rtd).toBeUndefined();
  });
});

describe('HJ 212 encoder', () => {
  it.each(['hj212', 'modbus-le', 'modbus-be', 'arc'] as const)('writes a CRC that verifies with %s', (crc) => {
    const f = decoded(encodeHj212({ QN: '20240601120000123', ST: '22', CN: '2011', PW: '123456', MN: 'AQ-01', Flag: 5, cp: { pollutants: { a34004: { Rtd: 35, Flag: 'N' } } } }, { crc }));
    expect(hj212CrcMatches(f, crc)).toBe(true);
    expect(detectHj212CrcVariant(f)).toBe(crc);
  });

  it('writes the fields in the standard order and round-trips them', () => {
    const text = encodeHj212({ QN: '20240601120000123', ST: '22', CN: '2011', PW: '123456', MN: 'AQ-01', Flag: 7, PNUM: 2, PNO: 1, cp: { fields: { DataTime: '20240601120000' }, pollutants: { a34004: { Rtd: 35, Flag: 'N' }, a34002: { Rtd: 60 } } } });
    expect(text).toMatch(/^##\d{4}QN=20240601120000123;ST=22;CN=2011;PW=123456;MN=AQ-01;Flag=7;PNUM=2;PNO=1;CP=&&DataTime=20240601120000;a34004-Rtd=35,a34004-Flag=N;a34002-Rtd=60&&[0-9A-F]{4}\r\n$/);
    const f = decoded(text);
    expect([f.PNUM, f.PNO]).toEqual(['2', '1']);
  });

  it('refuses values that would break the CP grammar', () => {
    expect(() => encodeHj212({ ST: '22', CN: '2011', PW: 'p', MN: 'A', cp: { fields: { DataTime: 'a;b' } } })).toThrow(RangeError);
  });
});

describe('HJ 212 Flag', () => {
  it.each([
    ['4', { version: 1, split: false, ackRequired: false }],
    ['5', { version: 1, split: false, ackRequired: true }],
    ['7', { version: 1, split: true, ackRequired: true }],
    ['8', { version: 2, split: false, ackRequired: false }],
  ])('Flag=%s decodes its version and bits', (flag, info) => {
    expect(hj212FlagInfo(flag)).toEqual(info);
  });

  it('has no info for a missing or malformed Flag', () => {
    expect(hj212FlagInfo(undefined)).toBeUndefined();
    expect(hj212FlagInfo('x')).toBeUndefined();
    expect(hj212FlagInfo('300')).toBeUndefined();
  });
});
