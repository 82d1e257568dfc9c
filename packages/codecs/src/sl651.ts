import { crc16Modbus, hex4 } from './crc';
import { fail, type Decoded } from './result';

/*
 * SL 651-2014 HEX/BCD frames (domain README §2.2, tables 20-23). Big-endian throughout.
 *   7E 7E | addresses (6) | password (2) | function (1) | dir+len (2) | STX/SYN | [packet (3)]
 *   | body | ETX/ETB/ENQ/ACK/NAK/EOT/ESC | CRC (2, CRC-16/MODBUS, high byte first)
 * The CRC covers every byte from the first 7E up to and including the end character.
 */

export const SL651_START = { STX: 0x02, SYN: 0x16 } as const;
export const SL651_END = { ETX: 0x03, ETB: 0x17, ENQ: 0x05, ACK: 0x06, NAK: 0x15, EOT: 0x04, ESC: 0x1b } as const;
export type Sl651EndChar = keyof typeof SL651_END;

const END_NAMES = new Map<number, Sl651EndChar>(Object.entries(SL651_END).map(([k, v]) => [v, k as Sl651EndChar]));

export interface Sl651Frame {
  /** up = station to centre, down = centre to station (high nibble of the length field: 0 / 8). */
  readonly direction: 'up' | 'down';
  /** Centre address, 1..255. */
  readonly centre: number;
  /** Station address as 10 upper-case hex digits (BCD for hydrological stations, e.g. "0012345678"). */
  readonly station: string;
  /** Password as 4 upper-case hex digits. */
  readonly password: string;
  readonly funcCode: number;
  readonly bodyLen: number;
  /** Whether the declared length lands on an end character and the frame is exactly that long. */
  readonly lenValid: boolean;
  readonly startChar: 'STX' | 'SYN';
  /** M3 multi-packet mode only (SYN): 12-bit packet total and 12-bit sequence number. */
  readonly packet?: { readonly total: number; readonly seq: number };
  readonly endChar: Sl651EndChar;
  readonly crcInFrame: string;
  readonly crcCalc: string;
  readonly crcValid: boolean;
  /** The body bytes (a view into the input, not a copy). */
  readonly body: Uint8Array;
}

const HEX = '0123456789ABCDEF';

/** Bytes as upper-case hex digits. */
export function toHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX[bytes[i]! >> 4]! + HEX[bytes[i]! & 15]!;
  return s;
}

/**
 * Decodes the frame at `offset`. `end` is the offset after its CRC. Fails with BAD_FRAME when the
 * bytes cannot be a frame; the CRC is reported (`crcValid`), not judged.
 */
export function decodeSl651Frame(bytes: Uint8Array, offset = 0): Decoded<{ frame: Sl651Frame; end: number }> {
  const p = offset;
  const avail = bytes.length - p;
  if (avail < 17) return fail('GANZHI_ERR_NORM_BAD_FRAME', `SL 651 frame too short: ${avail} bytes`);
  if (bytes[p] !== 0x7e || bytes[p + 1] !== 0x7e) return fail('GANZHI_ERR_NORM_BAD_FRAME', 'SL 651 HEX frame does not start with 7E 7E');
  const dirLen = (bytes[p + 11]! << 8) | bytes[p + 12]!;
  const dirNibble = dirLen >> 12;
  if (dirNibble !== 0 && dirNibble !== 8) return fail('GANZHI_ERR_NORM_BAD_FRAME', `direction nibble ${dirNibble.toString(16)} is neither 0 (up) nor 8 (down)`);
  const direction = dirNibble === 0 ? 'up' : 'down';
  // Up-frames carry centre then station; down-frames station then centre (table 20/21).
  const centre = direction === 'up' ? bytes[p + 2]! : bytes[p + 7]!;
  const stationAt = direction === 'up' ? p + 3 : p + 2;
  const bodyLen = dirLen & 0x0fff;
  const start = bytes[p + 13];
  if (start !== SL651_START.STX && start !== SL651_START.SYN) return fail('GANZHI_ERR_NORM_BAD_FRAME', `start character ${hex2(start)} is neither STX (02) nor SYN (16)`);
  let bodyAt = p + 14;
  let bodyEnd = bodyAt + bodyLen;
  let packet: Sl651Frame['packet'];
  if (start === SL651_START.SYN) {
    // M3: the length counts the 3 packet bytes after SYN (README §7 marks this as untested).
    const a = bytes[bodyAt]!;
    const b = bytes[bodyAt + 1]!;
    const c = bytes[bodyAt + 2]!;
    packet = { total: (a << 4) | (b >> 4), seq: ((b & 15) << 8) | c };
    bodyAt += 3;
  }
  if (bodyEnd + 3 > bytes.length) return fail('GANZHI_ERR_NORM_BAD_FRAME', `declared body length ${bodyLen} exceeds the ${avail}-byte frame`);
  const endChar = END_NAMES.get(bytes[bodyEnd]!);
  if (endChar === undefined) return fail('GANZHI_ERR_NORM_BAD_FRAME', `byte ${hex2(bytes[bodyEnd])} after the ${bodyLen}-byte body is not an end character`);
  const end = bodyEnd + 3;
  const crcInFrame = toHex(bytes, bodyEnd + 1, end);
  const crcCalc = hex4(crc16Modbus(bytes, p, bodyEnd + 1));
  const frame: Sl651Frame = {
    direction,
    centre,
    station: toHex(bytes, stationAt, stationAt + 5),
    password: toHex(bytes, p + 8, p + 10),
    funcCode: bytes[p + 10]!,
    bodyLen,
    lenValid: end === bytes.length || bytes[end] === 0x7e,
    startChar: start === SL651_START.STX ? 'STX' : 'SYN',
    endChar,
    crcInFrame,
    crcCalc,
    crcValid: crcInFrame === crcCalc,
    body: bytes.subarray(bodyAt, bodyEnd),
  };
  if (packet !== undefined) (frame as { packet?: Sl651Frame['packet'] }).packet = packet;
  return { ok: true, value: { frame, end } };
}

function hex2(b: number | undefined): string {
  return b === undefined ? 'none' : HEX[b >> 4]! + HEX[b & 15]!;
}

/**
 * Payload bytes of an SL 651 envelope: binary (base64 on the bus), the same frame written as hex
 * text (either encoding), or an ASCII-mode frame (SOH ...) as text. Undefined when it is neither.
 */
export function sl651Bytes(payload: string, encoding: 'utf8' | 'base64'): Uint8Array | undefined {
  // ASCII mode (§6.4) starts with SOH and is text already
  if (encoding === 'utf8' && payload.charCodeAt(0) === 0x01) return Buffer.from(payload, 'latin1');
  if (encoding === 'base64') {
    const bin = Buffer.from(payload, 'base64');
    // "7E7E" as ASCII: a hex-text frame sent as a binary MQTT payload.
    if (bin.length >= 4 && bin[0] === 0x37 && (bin[1] === 0x45 || bin[1] === 0x65)) return hexText(bin.toString('latin1'));
    return bin;
  }
  return hexText(payload);
}

function hexText(text: string): Uint8Array | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(compact)) return undefined;
  return Buffer.from(compact, 'hex');
}
