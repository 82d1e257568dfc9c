import { crc16Modbus, hex4 } from './crc';
import { fail, show, type Decoded } from './result';
import { SL651_END, type Sl651EndChar } from './sl651';
import { SL651_ELEMENT_IDS, SL651_STATION_CLASSES, type Sl651Body, type Sl651Element, type Sl651Series } from './sl651-body';
import { SL651_ENCODABLE, type Sl651UpFrameInput } from './sl651-encode';
import { formatSl651Time } from './time';

/*
 * SL 651-2014 ASCII mode (§6.1, §6.4, §6.5; domain README §2.1). Every header field is hex written
 * as text, the body is identifiers and values separated by single spaces, ending with a space:
 *   SOH | centre (2) | station (10) | password (4) | function (2) | direction + length (4: "0" up /
 *   "8" down, then 3 hex digits = body characters) | STX | body | ETX/ETB | CRC (4 hex characters,
 *   CRC-16/MODBUS over every preceding byte, high byte first)
 * with addresses in the order of HEX mode (up: centre then station; down: station then centre [P]).
 * Body: serial (4 hex) send-time (12 digits) `ST` station class `TT` obs-time (10 digits)
 * then `<identifier> <value>` pairs of the element table (Appendix C, the same table as HEX mode):
 * decimal values, `ZT` 8 hex digits, DRP/DRZn 24/48 hex digits; a later `TT` re-times the elements
 * after it. No public ASCII frame is known (domain §7): these follow the text of the standard.
 */

export const SL651_ASCII_SOH = 0x01;
const STX = 0x02;
const END_NAMES = new Map<number, Sl651EndChar>(Object.entries(SL651_END).map(([k, v]) => [v, k as Sl651EndChar]));
/** ASCII identifier -> identifier byte (the HEX table read backwards). */
const CODE_OF: ReadonlyMap<string, number> = new Map(Object.entries(SL651_ELEMENT_IDS).map(([code, id]) => [id, Number(code)]));

export interface Sl651AsciiFrame {
  readonly mode: 'ascii';
  readonly direction: 'up' | 'down';
  readonly centre: number;
  readonly station: string;
  readonly password: string;
  readonly funcCode: number;
  readonly bodyLen: number;
  readonly endChar: Sl651EndChar;
  readonly crcInFrame: string;
  readonly crcCalc: string;
  readonly crcValid: boolean;
  /** The body text between STX and the end character. */
  readonly body: string;
}

const HEX_RE = /^[0-9A-Fa-f]+$/;
const DECIMAL_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

function hexField(bytes: Uint8Array, at: number, len: number): string | undefined {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset + at, len).toString('latin1');
  return HEX_RE.test(s) ? s.toUpperCase() : undefined;
}

/** Decodes the ASCII-mode frame at `offset` (it starts with SOH); `end` is the offset after its CRC. */
export function decodeSl651AsciiFrame(bytes: Uint8Array, offset = 0): Decoded<{ frame: Sl651AsciiFrame; end: number }> {
  const p = offset;
  const avail = bytes.length - p;
  if (avail < 29) return fail('GANZHI_ERR_NORM_BAD_FRAME', `SL 651 ASCII frame too short: ${avail} bytes`);
  if (bytes[p] !== SL651_ASCII_SOH) return fail('GANZHI_ERR_NORM_BAD_FRAME', 'SL 651 ASCII frame does not start with SOH (01)');
  const head = hexField(bytes, p + 1, 22);
  if (head === undefined) return fail('GANZHI_ERR_NORM_BAD_FRAME', 'SL 651 ASCII header is not hex text (addresses, password, function, length)');
  const dir = head[18];
  if (dir !== '0' && dir !== '8') return fail('GANZHI_ERR_NORM_BAD_FRAME', `direction character ${show(dir)} is neither 0 (up) nor 8 (down)`);
  const direction = dir === '0' ? 'up' : 'down';
  const centreText = direction === 'up' ? head.slice(0, 2) : head.slice(10, 12);
  const station = direction === 'up' ? head.slice(2, 12) : head.slice(0, 10);
  const bodyLen = parseInt(head.slice(19, 22), 16);
  if (bytes[p + 23] !== STX) return fail('GANZHI_ERR_NORM_BAD_FRAME', bytes[p + 23] === 0x16 ? 'SL 651 ASCII multi-packet (M3, SYN) frames are not reassembled' : 'SL 651 ASCII header is not followed by STX');
  const bodyAt = p + 24;
  const bodyEnd = bodyAt + bodyLen;
  if (bodyEnd + 5 > bytes.length) return fail('GANZHI_ERR_NORM_BAD_FRAME', `declared body length ${bodyLen} exceeds the ${avail}-byte frame`);
  const endChar = END_NAMES.get(bytes[bodyEnd]!);
  if (endChar === undefined) return fail('GANZHI_ERR_NORM_BAD_FRAME', `character after the ${bodyLen}-character body is not an end character`);
  const crcText = hexField(bytes, bodyEnd + 1, 4);
  if (crcText === undefined) return fail('GANZHI_ERR_NORM_BAD_FRAME', 'SL 651 ASCII CRC is not 4 hex characters');
  const crcCalc = hex4(crc16Modbus(bytes, p, bodyEnd + 1));
  const frame: Sl651AsciiFrame = {
    mode: 'ascii',
    direction,
    centre: parseInt(centreText, 16),
    station,
    password: head.slice(12, 16),
    funcCode: parseInt(head.slice(16, 18), 16),
    bodyLen,
    endChar,
    crcInFrame: crcText,
    crcCalc,
    crcValid: crcText === crcCalc,
    body: Buffer.from(bytes.buffer, bytes.byteOffset + bodyAt, bodyLen).toString('latin1'),
  };
  return { ok: true, value: { frame, end: bodyEnd + 5 } };
}

/** The body of a data report, as the HEX decoder gives it (same element table, same types). */
export function decodeSl651AsciiBody(frame: Sl651AsciiFrame): Decoded<Sl651Body> {
  const tokens = frame.body.split(' ').filter((t) => t !== '');
  if (tokens.length < 2) return fail('GANZHI_ERR_NORM_BAD_FRAME', 'SL 651 ASCII body has no serial and send time');
  const [serialText, sendTime] = tokens as [string, string];
  if (!/^[0-9A-Fa-f]{4}$/.test(serialText)) return fail('GANZHI_ERR_NORM_BAD_FRAME', `serial ${show(serialText)} is not 4 hex characters`);
  if (!/^\d{12}$/.test(sendTime)) return fail('GANZHI_ERR_NORM_BAD_FRAME', `send time ${show(sendTime)} is not 12 digits`);
  const elements: Sl651Element[] = [];
  const series: Sl651Series[] = [];
  const obsTimes: string[] = [];
  const body: { -readonly [K in keyof Sl651Body]: Sl651Body[K] } = { serial: parseInt(serialText, 16), sendTime, obsTimes, elements, series };
  let obsTime: string | undefined;
  for (let i = 2; i < tokens.length; i++) {
    const id = tokens[i]!;
    const next = tokens[i + 1];
    if (id === 'ST') {
      if (next === undefined || !/^[0-9A-Fa-f]{10}$/.test(next)) return fail('GANZHI_ERR_NORM_BAD_FRAME', `ST: station ${show(next)} is not 10 hex characters`);
      body.station = next.toUpperCase();
      i++;
      const cls = tokens[i + 1];
      if (cls !== undefined && cls.length === 1 && SL651_STATION_CLASSES.includes(cls)) {
        body.stationClass = cls;
        i++;
      }
      continue;
    }
    if (next === undefined) return fail('GANZHI_ERR_NORM_BAD_FRAME', `element ${show(id)} has no value`);
    i++;
    if (id === 'TT') {
      if (!/^\d{10}$/.test(next)) return fail('GANZHI_ERR_NORM_BAD_FRAME', `TT: observation time ${show(next)} is not 10 digits`);
      obsTime = next;
      obsTimes.push(next);
      continue;
    }
    if (id === 'ZT') {
      if (!/^[0-9A-Fa-f]{8}$/.test(next)) return fail('GANZHI_ERR_NORM_BAD_FRAME', `ZT: status ${show(next)} is not 8 hex characters`);
      body.status = parseInt(next, 16);
      elements.push({ id: 'ZT', code: 0x45, value: body.status, obsTime });
      continue;
    }
    const drz = /^DRZ([1-8])$/.exec(id);
    if (id === 'DRP' || drz !== null) {
      const width = id === 'DRP' ? 2 : 4;
      if (!HEX_RE.test(next) || next.length % width !== 0) return fail('GANZHI_ERR_NORM_BAD_FRAME', `${id}: ${show(next)} is not ${width}-character hex values`);
      const values: (number | null)[] = [];
      for (let k = 0; k < next.length; k += width) {
        const raw = parseInt(next.slice(k, k + width), 16);
        values.push(raw === (width === 2 ? 0xff : 0xffff) ? null : width === 2 ? raw / 10 : raw / 100);
      }
      series.push({ id, code: id === 'DRP' ? 0xf4 : 0xf4 + Number(drz![1]), values, obsTime });
      continue;
    }
    if (/^DR[DHN]\d\d$/.test(id)) {
      body.timeStep = id.slice(2);
      i--; // the time-step identifier carries its value in its name
      continue;
    }
    const code = CODE_OF.get(id) ?? -1;
    if (/^F+$/i.test(next)) {
      elements.push({ id, code, value: null, obsTime });
      continue;
    }
    if (!DECIMAL_RE.test(next)) {
      // decimal commas and every other malformed number: refused, naming the element
      const why = /^[+-]?\d+,\d+$/.test(next) ? ' (a decimal comma; SL 651 uses ".")' : '';
      return fail('GANZHI_ERR_NORM_BAD_FRAME', `element ${id}: value ${show(next)} is not a decimal number${why}`);
    }
    elements.push({ id, code, value: Number(next), obsTime });
  }
  return { ok: true, value: body };
}

/**
 * Builds an SL 651 ASCII-mode up-frame (report functions 30H-34H) from the same input as the HEX
 * encoder; values are written with their element's decimals (N(d, f) of Appendix C).
 */
export function encodeSl651Ascii(input: Sl651UpFrameInput): Buffer {
  if (![0x30, 0x31, 0x32, 0x33, 0x34].includes(input.funcCode)) throw new RangeError(`SL 651 encoder writes report functions 30H-34H, not ${input.funcCode.toString(16)}H`);
  if (!Number.isInteger(input.centre) || input.centre < 1 || input.centre > 255) throw new RangeError(`SL 651 centre address must be 1..255: ${input.centre}`);
  if (!Number.isInteger(input.serial) || input.serial < 1 || input.serial > 65535) throw new RangeError(`SL 651 serial must be 1..65535: ${input.serial}`);
  if (!/^[0-9A-Fa-f]{10}$/.test(input.station)) throw new RangeError(`SL 651 station address must be 10 hex digits: ${JSON.stringify(input.station)}`);
  if (!/^[0-9A-Fa-f]{4}$/.test(input.password)) throw new RangeError(`SL 651 password must be 4 hex digits: ${JSON.stringify(input.password)}`);
  const cls = input.stationClass ?? 'H';
  const parts = [input.serial.toString(16).toUpperCase().padStart(4, '0'), formatSl651Time(input.sendTime, true), 'ST', input.station.toUpperCase(), cls];
  for (const g of input.groups) {
    parts.push('TT', formatSl651Time(g.obsTime, false));
    for (const el of g.elements) {
      const spec = SL651_ENCODABLE[el.id];
      if (el.value !== null && !Number.isFinite(el.value)) throw new RangeError(`SL 651 ${el.id} must be finite: ${el.value}`);
      parts.push(el.id, el.value === null ? 'F'.repeat(spec.digits) : el.value.toFixed(spec.decimals));
    }
  }
  const body = `${parts.join(' ')} `;
  if (body.length > 0xfff) throw new RangeError(`SL 651 body of ${body.length} characters exceeds 4095`);
  const head =
    input.centre.toString(16).toUpperCase().padStart(2, '0') +
    input.station.toUpperCase() +
    input.password.toUpperCase() +
    input.funcCode.toString(16).toUpperCase().padStart(2, '0') +
    '0' +
    body.length.toString(16).toUpperCase().padStart(3, '0');
  const pre = Buffer.concat([Buffer.from([SL651_ASCII_SOH]), Buffer.from(head, 'latin1'), Buffer.from([STX]), Buffer.from(body, 'latin1'), Buffer.from([SL651_END[input.end ?? 'ETX']])]);
  return Buffer.concat([pre, Buffer.from(hex4(crc16Modbus(pre, 0, pre.length)), 'latin1')]);
}
