import { describe, expect, it } from 'vitest';
import { encodeGbt26875Frame, encodeHj212, encodeSl651, encodeSl651Ascii } from '@ganzhi/codecs';
import { units as cut } from './framing';
import { splitGbt26875 } from './gbt26875-spec';
import { splitHj212 } from './hj212-tcp';
import { splitSl651 } from './sl651-tcp';
import type { Split } from './spec';

/** Every unit a splitter cuts from `bytes`, fed all at once. */
function units(split: (b: Buffer) => Split, bytes: Buffer): string[] {
  const out: string[] = [];
  let buf = bytes;
  for (let i = 0; i < 100 && buf.length > 0; i++) {
    const s = split(buf);
    if (s.type === 'need') {
      out.push(`need ${buf.length}`);
      break;
    }
    out.push(`${s.type} ${s.length}`);
    buf = buf.subarray(s.length);
  }
  return out;
}

const hj = encodeHj212({ QN: '20261101000000000', ST: '22', CN: '2011', PW: '123456', MN: 'MN1', Flag: 5, cp: 'a34004-Rtd=30' });
const hjLen = Buffer.byteLength(hj);

describe('HJ 212 framing', () => {
  it('cuts frames by their declared length, skips CR LF padding, reports garbage up to the next "##"', () => {
    expect(units(splitHj212, Buffer.from(`${hj}\r\njunk${hj}`))).toEqual([`frame ${hjLen}`, 'skip 2', 'garbage 4', `frame ${hjLen}`]);
  });
  it('waits for the rest of a frame, and for a CR LF that may follow', () => {
    expect(units(splitHj212, Buffer.from(hj.slice(0, 30)))).toEqual(['need 30']);
    expect(splitHj212(Buffer.from(hj.slice(0, -2)))).toEqual({ type: 'frame', length: hjLen - 2 }); // a device without CR LF
  });
  it('ends a frame whose length is wrong at its CR LF, so that the next frame is found', () => {
    const wrong = `##0999${hj.slice(6)}`;
    expect(units(splitHj212, Buffer.from(wrong + hj))).toEqual([`frame ${hjLen}`, `frame ${hjLen}`]);
  });
  it('keeps a frame longer than the 1024 characters of the standard whole (real devices send them)', () => {
    const pollutants = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`a${String(34000 + i)}`, { Rtd: 1000 + i, Flag: 'N' }]));
    const long = encodeHj212({ QN: '20261101000000000', ST: '22', CN: '2011', PW: '123456', MN: 'MN1', Flag: 5, cp: { fields: { DataTime: '20261101000000' }, pollutants } });
    expect(Number(long.slice(2, 6))).toBeGreaterThan(1024);
    expect(units(splitHj212, Buffer.from(long + hj))).toEqual([`frame ${Buffer.byteLength(long)}`, `frame ${hjLen}`]);
  });
  it('treats "##" without 4 digits as garbage', () => {
    expect(units(splitHj212, Buffer.from(`##x1${hj}`))).toEqual(['garbage 4', `frame ${hjLen}`]);
  });
});

describe('SL 651 framing', () => {
  const f = encodeSl651({ centre: 1, station: '0012345678', password: '1234', funcCode: 0x32, serial: 1, sendTime: Date.UTC(2026, 0, 1), groups: [] });
  it('cuts frames by the body length, resynchronises on 7E 7E after garbage or a bad header', () => {
    const badHeader = Buffer.from(f);
    badHeader[13] = 0x55; // neither STX nor SYN
    expect(units(splitSl651, Buffer.concat([Buffer.from('AT\r\n'), f, badHeader, f]))).toEqual(['garbage 4', `frame ${f.length}`, `garbage ${f.length}`, `frame ${f.length}`]);
  });
  it('waits for a partial frame', () => {
    expect(units(splitSl651, f.subarray(0, 10))).toEqual(['need 10']);
  });
  it('keeps a frame from centre address 126 (7E after 7E 7E), and finds a frame after a stray 7E', () => {
    const c126 = encodeSl651({ centre: 126, station: '0012345678', password: '1234', funcCode: 0x32, serial: 1, sendTime: Date.UTC(2026, 0, 1), groups: [] });
    expect(units(splitSl651, Buffer.concat([c126, c126]))).toEqual([`frame ${c126.length}`, `frame ${c126.length}`]);
    expect(units(splitSl651, Buffer.concat([Buffer.from([0x7e]), f]))).toEqual(['garbage 1', `frame ${f.length}`]);
    expect(units(splitSl651, Buffer.concat([Buffer.from([0x7e, 0x7e, 0x7e]), f]))).toEqual(['garbage 3', `frame ${f.length}`]);
  });

  const a = encodeSl651Ascii({ centre: 1, station: '0012345678', password: '1234', funcCode: 0x32, serial: 2, sendTime: Date.UTC(2026, 0, 1), groups: [{ obsTime: Date.UTC(2026, 0, 1), elements: [{ id: 'Z', value: 1.5 }] }] });
  it('tells ASCII mode (SOH) from HEX mode (7E 7E) by the first byte and cuts both by their declared length', () => {
    expect(units(splitSl651, Buffer.concat([a, f, a]))).toEqual([`frame ${a.length}`, `frame ${f.length}`, `frame ${a.length}`]);
    expect(units(splitSl651, a.subarray(0, 30))).toEqual(['need 30']);
    expect(units(splitSl651, a.subarray(0, 5))).toEqual(['need 5']);
  });
  it('takes a SOH whose header is not hex text as garbage at once, up to the next frame', () => {
    // SOH bytes inside line noise do not hold the stream back or split the garbage
    expect(units(splitSl651, Buffer.concat([Buffer.from('\x01AT\x01+\r\n'), a]))).toEqual(['garbage 7', `frame ${a.length}`]);
    const badTail = Buffer.from(a);
    badTail[badTail.length - 5] = 0x41; // no end character where the length says
    expect(units(splitSl651, Buffer.concat([badTail, a]))).toEqual([`garbage ${a.length}`, `frame ${a.length}`]);
  });
});

describe('units of a complete message', () => {
  it('gives frames and garbage, a partial frame at the end as garbage, without padding', () => {
    const bytes = Buffer.from(`${hj}\r\nxx${hj.slice(0, 20)}`);
    expect([...cut(splitHj212, bytes, 10)].map((u) => `${u.type} ${u.bytes.length}`)).toEqual([`frame ${hjLen}`, 'garbage 2', 'garbage 20']);
    expect([...cut(splitHj212, Buffer.from(hj + hj + hj), 2)]).toHaveLength(2);
  });
});

describe('GB/T 26875.3 framing', () => {
  const f = encodeGbt26875Frame({ serial: 1, time: Date.UTC(2026, 0, 1), source: '0000000000A1', destination: '000000000001', command: 'send', appData: [21, 1, 1, 0, 0, 0, 1, 1, 26] });
  it('cuts frames by the app-data length and checks the tail, resynchronising on "@@"', () => {
    const badTail = Buffer.from(f);
    badTail[badTail.length - 1] = 0;
    expect(units(splitGbt26875, Buffer.concat([Buffer.from([0, 1, 2]), f, badTail, f]))).toEqual(['garbage 3', `frame ${f.length}`, `garbage ${f.length}`, `frame ${f.length}`]);
  });
  it('keeps a frame whose serial is 64 ("@" after "@@"), and finds a frame after a stray "@" without waiting for more bytes', () => {
    const at64 = encodeGbt26875Frame({ serial: 64, time: Date.UTC(2026, 0, 1), source: '0000000000A1', destination: '000000000001', command: 'send', appData: [21, 1, 1, 0, 0, 0, 1, 1, 26] });
    expect(at64[2]).toBe(0x40);
    expect(units(splitGbt26875, Buffer.concat([at64, at64]))).toEqual([`frame ${at64.length}`, `frame ${at64.length}`]);
    expect(units(splitGbt26875, Buffer.concat([Buffer.from('@'), f]))).toEqual(['garbage 1', `frame ${f.length}`]);
    expect(units(splitGbt26875, Buffer.concat([Buffer.from('@@@'), f]))).toEqual(['garbage 3', `frame ${f.length}`]);
  });
  it('refuses a length over 1024 without waiting for it', () => {
    const big = Buffer.from(f);
    big.writeUInt16LE(5000, 24);
    expect(splitGbt26875(big).type).toBe('garbage');
  });
});
