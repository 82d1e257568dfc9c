import { describe, expect, it } from 'vitest';
import { SL651_VECTORS } from './__vectors__/fixtures';
import { decodeSl651Frame, sl651Bytes, toHex, type Sl651Frame } from './sl651';
import { bcdValue, decodeSl651Body, type Sl651Body } from './sl651-body';
import { encodeSl651, encodeSl651Element } from './sl651-encode';
import { parseSl651Time } from './time';

function frameOf(hex: string): Sl651Frame {
  const r = decodeSl651Frame(sl651Bytes(hex, 'utf8')!);
  if (!r.ok) throw new Error(`${r.code}: ${r.reason}`);
  return r.value.frame;
}

function bodyOf(hex: string): Sl651Body {
  const r = decodeSl651Body(frameOf(hex));
  if (!r.ok) throw new Error(`${r.code}: ${r.reason}`);
  return r.value;
}

const FRAME_FIELDS = ['direction', 'centre', 'station', 'password', 'bodyLen', 'lenValid', 'startChar', 'endChar', 'crcInFrame', 'crcCalc'] as const;

describe('SL 651 vectors (shared/domain/vectors/sl651.json)', () => {
  it.each(SL651_VECTORS)('$id: parses the header and judges the CRC as given', (v) => {
    const f = frameOf(v.frame);
    for (const k of FRAME_FIELDS) expect(f[k], k).toBe(v.expected[k]);
    expect(f.funcCode.toString(16).toUpperCase().padStart(2, '0')).toBe(v.expected.funcCode);
    expect(f.crcValid).toBe(v.crcValid);
    const body = bodyOf(v.frame);
    expect(body.serial).toBe(v.expected.serial);
    expect(body.sendTime).toBe(v.expected.sendTime);
  });

  it.each(SL651_VECTORS.filter((v) => v.expected.body !== undefined))('$id: decodes the body elements as given', (v) => {
    const body = bodyOf(v.frame);
    const want = v.expected.body!;
    expect(body.station).toBe(want.station);
    expect(body.stationClass).toBe(want.stationClass);
    expect(body.obsTimes).toEqual(want.obsTimes);
    expect(body.elements.map(({ id, value, obsTime }) => ({ id, value, obsTime }))).toEqual(want.elements);
  });

  it('accepts the frame as binary (base64) as well as hex text', () => {
    const v = SL651_VECTORS.find((x) => x.id === 'yx-33-add')!;
    const bin = sl651Bytes(Buffer.from(v.frame, 'hex').toString('base64'), 'base64')!;
    expect(toHex(bin)).toBe(v.frame);
    const asciiHexInBinary = sl651Bytes(Buffer.from(v.frame.toLowerCase()).toString('base64'), 'base64')!;
    expect(toHex(asciiHexInBinary)).toBe(v.frame);
  });
});

// More frames from the same public source as the vectors (yu-xiaoyao/sl651-2014-server, client samples).
const HOURLY_34 =
  '7E7E05001122334403E8340068020033170718110014F1F1001122334448F0F01707181005F4600500000014FFFFFFFFFF0000F0F017071811002619000040F0F01707181005F5C0000C000C001C00310031FFFFFFFFFFFFFFFFFFFF00310031F0F0170718110039230001049020190000403812109903F502';
const TEST_30 = '7E7E010012345678123430002B020003591011154947F1F1001234567848F0F0591011154920190000052619000005392300000127381211150320FA';
const PERIOD_38 = '7E7E05001122334403E838002A020035170718110128F1F1001122334448F0F017071810050418000005F4600500000014FFFFFFFFFF000003E8AB';
const PICTURE_36_HEAD = '7E7E010012345678123436011C1600D0010005591011161118F1F1001234567848F0F05910111611F3F3';

describe('SL 651 bodies', () => {
  it('decodes the test report as the public decoding gives it (PJ 0.5, PT 0.5, Z 0.127, VT 11.15)', () => {
    expect(bodyOf(TEST_30).elements.map((e) => [e.id, e.value])).toEqual([
      ['PJ', 0.5],
      ['PT', 0.5],
      ['Z', 0.127],
      ['VT', 11.15],
    ]);
  });

  it('re-times the elements after a mid-body F0 F0 and decodes DRP and DRZ series', () => {
    const f = frameOf(HOURLY_34);
    expect(f.crcValid).toBe(true);
    const body = bodyOf(HOURLY_34);
    expect(body.obsTimes).toEqual(['1707181005', '1707181100', '1707181005', '1707181100']);
    expect(body.series).toEqual([
      { id: 'DRP', code: 0xf4, values: [0.5, 0, 0, 0, 2, null, null, null, null, null, 0, 0], obsTime: '1707181005' },
      { id: 'DRZ1', code: 0xf5, values: [0.12, 0.12, 0.28, 0.49, 0.49, null, null, null, null, null, 0.49, 0.49], obsTime: '1707181005' },
    ]);
    expect(body.elements.map(({ id, value, obsTime }) => ({ id, value, obsTime }))).toEqual([
      { id: 'PT', value: 4, obsTime: '1707181100' },
      { id: 'Z', value: 10.49, obsTime: '1707181100' },
      { id: 'PJ', value: 4, obsTime: '1707181100' },
      { id: 'VT', value: 10.99, obsTime: '1707181100' },
    ]);
  });

  it('reads the DRxnn time-step code', () => {
    expect(bodyOf(PERIOD_38).timeStep).toBe('000005');
  });

  it('reads the ZT status word of a status answer (function 46, no station class)', () => {
    const body = bodyOf(SL651_VECTORS.find((v) => v.id === 'yx-46-status')!.frame);
    expect(body.stationClass).toBeUndefined();
    expect(body.status).toBe(0x400);
  });

  it('decodes the header of an M3 multi-packet frame (SYN): the length counts the packet bytes', () => {
    // The first packet of a 13-packet picture upload (function 36H), as the source sends it.
    const f = frameOf(
      '7E7E010012345678123436011C1600D0010005591011161118F1F1001234567848F0F05910111611F3F3FFD8FFE000104A46494600010100000100010000FFDB004300090606070606090707070909090A0C150D0C0C0C0C1912130F151E191F1E1C191C1C21242E2721222B221C1C2837282B30313434341F27393D39333C2E333431FFDB0043010909090C0A0C180D0D1831211C213131313131313131313131313131313131313131313131313131313131313131313131313131313131313131313131313131FFC4001F0000010501010101010100000000000000000102030405060708090A0BFFC400B5100002010303020403050504040000017D01020300041105122131410613516107227114328191A1082342B1C11552D1F02433627282090A161718191A1796CB',
    );
    expect(f).toMatchObject({ startChar: 'SYN', packet: { total: 13, seq: 1 }, endChar: 'ETB', crcValid: true, lenValid: true });
    expect(toHex(f.body).startsWith(PICTURE_36_HEAD.slice(34))).toBe(true);
  });

  it('fails with BAD_FRAME when the declared length runs past the bytes', () => {
    const r = decodeSl651Frame(sl651Bytes(TEST_30.slice(0, 60), 'utf8')!);
    expect(!r.ok && r.code).toBe('GANZHI_ERR_NORM_BAD_FRAME');
  });

  it('fails with BAD_FRAME on an element that runs past the body', () => {
    // A Z element claiming 4 bytes with only 2 left (the frame decoder reports the CRC, it does not judge it).
    const head = '7E7E01001234567812343000';
    const body = '0003591011154947F1F1001234567848F0F059101115493923' + '0001';
    const len = (body.length / 2).toString(16).toUpperCase().padStart(2, '0');
    const r = decodeSl651Body(frameOf(`${head}${len}02${body}030000`));
    expect(!r.ok && r.code).toBe('GANZHI_ERR_NORM_BAD_FRAME');
  });
});

describe('SL 651 BCD', () => {
  const v = (hex: string, decimals: number) => bcdValue(Buffer.from(hex, 'hex'), 0, hex.length / 2, decimals);
  it('reads digits with the given decimals', () => expect(v('00010490', 3)).toBe(10.49));
  it('reads a leading FF as negative', () => expect(v('FF00000172', 2)).toBe(-1.72));
  it('reads all F as missing', () => expect(v('FFFFFF', 1)).toBeNull());
  it('rejects a non-decimal nibble', () => expect(v('001A', 1)).toBeUndefined());
});

describe('SL 651 encoder', () => {
  const SEND = Date.UTC(2024, 5, 1, 3, 5, 10); // 2024-06-01 11:05:10 China time
  const OBS = Date.UTC(2024, 5, 1, 3, 0, 0);

  it('writes a timed report that decodes back with a verifying CRC', () => {
    const bytes = encodeSl651({
      centre: 1,
      station: '0012345678',
      password: '1234',
      funcCode: 0x32,
      serial: 7,
      sendTime: SEND,
      groups: [{ obsTime: OBS, elements: [{ id: 'Z', value: 12.345 }, { id: 'PJ', value: 4 }, { id: 'VT', value: 12.6 }] }],
    });
    const r = decodeSl651Frame(bytes);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.frame).toMatchObject({ direction: 'up', centre: 1, station: '0012345678', password: '1234', funcCode: 0x32, crcValid: true, lenValid: true, endChar: 'ETX' });
    const body = decodeSl651Body(r.value.frame);
    expect(body.ok && body.value).toMatchObject({ serial: 7, sendTime: '240601110510', stationClass: 'H', obsTimes: ['2406011100'] });
    expect(body.ok && body.value.elements.map((e) => [e.id, e.value])).toEqual([
      ['Z', 12.345],
      ['PJ', 4],
      ['VT', 12.6],
    ]);
    expect(parseSl651Time('2406011100')).toBe(OBS);
  });

  it('uses the data-definition bytes of the standard (Z 23, PJ 19, VT 12)', () => {
    expect(toHex(Uint8Array.from(encodeSl651Element({ id: 'Z', value: 10.49 })))).toBe('392300010490');
    expect(toHex(Uint8Array.from(encodeSl651Element({ id: 'PJ', value: 4 })))).toBe('2019000040');
    expect(toHex(Uint8Array.from(encodeSl651Element({ id: 'VT', value: 11.02 })))).toBe('38121102');
  });

  it('writes negatives with a leading FF and missing values as all F', () => {
    expect(toHex(Uint8Array.from(encodeSl651Element({ id: 'Z', value: -1.5 })))).toBe('392BFF00001500');
    expect(toHex(Uint8Array.from(encodeSl651Element({ id: 'Z', value: null })))).toBe('3923FFFFFFFF');
  });

  it('refuses values that do not fit and functions other than reports', () => {
    expect(() => encodeSl651Element({ id: 'VT', value: 123.4 })).toThrow(RangeError);
    expect(() => encodeSl651({ centre: 1, station: '0012345678', password: '1234', funcCode: 0x2f, serial: 1, sendTime: SEND, groups: [] })).toThrow(RangeError);
    expect(() => encodeSl651({ centre: 1, station: '12345', password: '1234', funcCode: 0x32, serial: 1, sendTime: SEND, groups: [] })).toThrow(RangeError);
  });
});
