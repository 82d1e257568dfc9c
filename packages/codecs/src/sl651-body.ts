import { fail, type Decoded } from './result';
import { toHex, type Sl651Frame } from './sl651';

/*
 * SL 651-2014 HEX bodies (domain README §2.3, §2.5; standard §6.6, Appendix C):
 *   serial (2, HEX) | send time (6, BCD YYMMDDhhmmss) | [F1 F1 station (5) [class (1)]]
 *   | element groups: identifier (1) + data definition (1: high 5 bits bytes, low 3 bits decimals)
 *     + data (BCD; leading FF = negative; all F = missing)
 *   with the fixed groups F0 F0 observation time (5, BCD YYMMDDhhmm; a later one re-times the
 *   elements after it), F4 DRP, F5..FC DRZ1..8, F2 F2 manual entry, F3 F3 picture.
 */

/** Identifier byte -> ASCII identifier (Appendix C). Unlisted bytes are shown as 2 hex digits. */
export const SL651_ELEMENT_IDS: Readonly<Record<number, string>> = {
  0x02: 'AI', 0x03: 'C', 0x04: 'DRxnn', 0x08: 'FL',
  0x1a: 'P1', 0x1b: 'P2', 0x1c: 'P3', 0x1d: 'P6', 0x1e: 'P12', 0x1f: 'PD', 0x20: 'PJ',
  0x21: 'PN01', 0x22: 'PN05', 0x23: 'PN10', 0x24: 'PN30', 0x25: 'PR', 0x26: 'PT',
  0x27: 'Q', 0x30: 'QA', 0x33: 'UC', 0x34: 'UE', 0x35: 'US', 0x38: 'VT',
  0x39: 'Z', 0x3a: 'ZB', 0x3b: 'ZU',
  0x3c: 'Z1', 0x3d: 'Z2', 0x3e: 'Z3', 0x3f: 'Z4', 0x40: 'Z5', 0x41: 'Z6', 0x42: 'Z7', 0x43: 'Z8',
  0x45: 'ZT', 0x46: 'PH', 0x47: 'DO', 0x48: 'COND', 0x49: 'TURB', 0x4c: 'NH4N', 0x4d: 'TP', 0x4e: 'TN',
  0x58: 'WP1', 0x59: 'WP2', 0x5a: 'WP3', 0x5b: 'WP4', 0x5c: 'WP5', 0x5d: 'WP6', 0x5e: 'WP7', 0x5f: 'WP8',
};

/** Station class codes (one ASCII letter): P rain, H river, K reservoir, Z gate/dam, ... */
export const SL651_STATION_CLASSES = 'PHKZDTMGQIO';

export interface Sl651Element {
  /** ASCII identifier (`Z`, `PJ`, `VT`, ...), or 2 hex digits for an identifier not in the table. */
  readonly id: string;
  /** The identifier byte. */
  readonly code: number;
  /** The value in the element's unit; null when the field is all F (missing) or not valid BCD. */
  readonly value: number | null;
  /** Set when the data was not valid BCD (value is null). */
  readonly invalid?: true;
  /** Observation time digits (`YYMMDDhhmm`) of the last F0 F0 before the element, if any. */
  readonly obsTime: string | undefined;
}

/** DRP (12 x 5-min rainfall, mm) or DRZ1..8 (12 x 5-min relative level, m); null = invalid. */
export interface Sl651Series {
  readonly id: string;
  readonly code: number;
  readonly values: readonly (number | null)[];
  readonly obsTime: string | undefined;
}

export interface Sl651Body {
  readonly serial: number;
  /** Send time digits, `YYMMDDhhmmss` (China time). */
  readonly sendTime: string;
  readonly station?: string;
  /** Station class letter (H river, P rain, ...) when the function carries one. */
  readonly stationClass?: string;
  readonly obsTimes: string[];
  readonly elements: Sl651Element[];
  readonly series: Sl651Series[];
  /** ZT status/alarm bits (identifier 45, 4-byte HEX). */
  readonly status?: number;
  /** DRxnn time-step code digits `DDHHNN`. */
  readonly timeStep?: string;
  /** Manual-entry text after F2 F2 (function 35). */
  readonly manual?: string;
  /** Bytes this decoder does not interpret (pictures, configuration tables, ...). */
  readonly rest?: Uint8Array;
}

/** Functions whose body carries station address + class + observation groups (Appendix B). */
const REPORT_FUNCS = new Set([0x30, 0x31, 0x32, 0x33, 0x34, 0x36, 0x37, 0x38, 0x3a, 0x44]);
/** Functions whose body is elements after the station address, without a class (46 status). */
const ELEMENT_FUNCS = new Set([0x35, 0x46]);

/** BCD digits of bytes[start, end), or undefined when a nibble is not 0..9. */
export function bcdDigits(bytes: Uint8Array, start: number, end: number): string | undefined {
  let s = '';
  for (let i = start; i < end; i++) {
    const hi = bytes[i]! >> 4;
    const lo = bytes[i]! & 15;
    if (hi > 9 || lo > 9) return undefined;
    s += String.fromCharCode(48 + hi, 48 + lo);
  }
  return s;
}

/** A BCD number with `decimals`; FF (or leading F nibbles) = negative; all F = missing (null). */
export function bcdValue(bytes: Uint8Array, start: number, end: number, decimals: number): number | null | undefined {
  let allF = true;
  for (let i = start; i < end; i++) if (bytes[i] !== 0xff) allF = false;
  if (allF) return null;
  let negative = false;
  let n = 0;
  let leading = true;
  for (let k = start * 2; k < end * 2; k++) {
    const byte = bytes[k >> 1]!;
    const nib = k & 1 ? byte & 15 : byte >> 4;
    if (nib === 15 && leading) {
      negative = true;
      continue;
    }
    leading = false;
    if (nib > 9) return undefined;
    n = n * 10 + nib;
  }
  const v = decimals === 0 ? n : n / 10 ** decimals;
  return negative ? -v : v;
}

export function decodeSl651Body(frame: Sl651Frame): Decoded<Sl651Body> {
  const b = frame.body;
  if (b.length < 8) return fail('GANZHI_ERR_NORM_BAD_FRAME', `SL 651 body of ${b.length} bytes has no serial and send time`);
  const serial = (b[0]! << 8) | b[1]!;
  const sendTime = bcdDigits(b, 2, 8);
  if (sendTime === undefined) return fail('GANZHI_ERR_NORM_BAD_FRAME', `send time ${toHex(b, 2, 8)} is not BCD`);
  const body: {
    serial: number;
    sendTime: string;
    station?: string;
    stationClass?: string;
    obsTimes: string[];
    elements: Sl651Element[];
    series: Sl651Series[];
    status?: number;
    timeStep?: string;
    manual?: string;
    rest?: Uint8Array;
  } = { serial, sendTime, obsTimes: [], elements: [], series: [] };
  let p = 8;
  const fn = frame.funcCode;
  if (p + 7 <= b.length && b[p] === 0xf1 && b[p + 1] === 0xf1) {
    body.station = toHex(b, p + 2, p + 7);
    p += 7;
    if (REPORT_FUNCS.has(fn) && p < b.length) {
      const cls = String.fromCharCode(b[p]!);
      if (!SL651_STATION_CLASSES.includes(cls)) return fail('GANZHI_ERR_NORM_BAD_FRAME', `station class byte ${toHex(b, p, p + 1)} is not a class code`);
      body.stationClass = cls;
      p++;
    }
  }
  if (!REPORT_FUNCS.has(fn) && !ELEMENT_FUNCS.has(fn)) {
    if (p < b.length) body.rest = b.subarray(p);
    return { ok: true, value: body };
  }
  let obsTime: string | undefined;
  while (p < b.length) {
    const id = b[p]!;
    if (p + 1 >= b.length) return fail('GANZHI_ERR_NORM_BAD_FRAME', `element ${toHex(b, p, p + 1)} at body byte ${p} has no data definition`);
    const def = b[p + 1]!;
    if (id === 0xf0 && def === 0xf0) {
      const t = p + 7 <= b.length ? bcdDigits(b, p + 2, p + 7) : undefined;
      if (t === undefined) return fail('GANZHI_ERR_NORM_BAD_FRAME', `observation time at body byte ${p} is not 5 BCD bytes`);
      obsTime = t;
      body.obsTimes.push(t);
      p += 7;
      continue;
    }
    if (id === 0xf1 && def === 0xf1) {
      if (p + 7 > b.length) return fail('GANZHI_ERR_NORM_BAD_FRAME', `station address at body byte ${p} is truncated`);
      body.station = toHex(b, p + 2, p + 7);
      p += 7;
      continue;
    }
    if ((id === 0xf2 && def === 0xf2) || (id === 0xf3 && def === 0xf3)) {
      if (id === 0xf2) body.manual = Buffer.from(b.buffer, b.byteOffset + p + 2, b.length - p - 2).toString('latin1');
      else body.rest = b.subarray(p);
      break;
    }
    const len = def >> 3;
    const decimals = def & 7;
    const dataAt = p + 2;
    if (dataAt + len > b.length) {
      return fail('GANZHI_ERR_NORM_BAD_FRAME', `element ${toHex(b, p, p + 1)} at body byte ${p} needs ${len} bytes, ${b.length - dataAt} left`);
    }
    if (id === 0xf4 || (id >= 0xf5 && id <= 0xfc)) {
      // DRP: 1-byte HEX 0.1 mm (FF invalid). DRZn: 2-byte HEX 0.01 m (FFFF invalid).
      const width = id === 0xf4 ? 1 : 2;
      const values: (number | null)[] = [];
      for (let i = dataAt; i + width <= dataAt + len; i += width) {
        const raw = width === 1 ? b[i]! : (b[i]! << 8) | b[i + 1]!;
        values.push(raw === (width === 1 ? 0xff : 0xffff) ? null : width === 1 ? raw / 10 : raw / 100);
      }
      body.series.push({ id: id === 0xf4 ? 'DRP' : `DRZ${id - 0xf4}`, code: id, values, obsTime });
    } else if (id === 0x45) {
      let zt = 0;
      for (let i = dataAt; i < dataAt + len; i++) zt = zt * 256 + b[i]!;
      body.status = zt;
      body.elements.push({ id: 'ZT', code: id, value: zt, obsTime });
    } else if (id === 0x04) {
      const step = bcdDigits(b, dataAt, dataAt + len);
      if (step !== undefined) body.timeStep = step;
    } else if (id === 0xff) {
      // FF xx: user extension with its own identifier byte; length unknown to us: stop here.
      body.rest = b.subarray(p);
      break;
    } else {
      const v = bcdValue(b, dataAt, dataAt + len, decimals);
      const name = (Object.hasOwn(SL651_ELEMENT_IDS, id) ? SL651_ELEMENT_IDS[id] : undefined) ?? toHex(b, p, p + 1);
      body.elements.push(v === undefined ? { id: name, code: id, value: null, invalid: true, obsTime } : { id: name, code: id, value: v, obsTime });
    }
    p = dataAt + len;
  }
  return { ok: true, value: body };
}
