import { fail, type Decoded } from './result';
import { chinaTimeToEpoch } from './time';

/*
 * GB/T 26875.3-2011 (城市消防远程监控系统 第3部分：报警传输网络通信协议), domain README §5.1:
 *   '@@' | control unit (25 bytes) | application data unit (0..1024) | checksum (1) | '##'
 *   control unit = serial (2, LE) | version (2: major, minor) | time (6: s, m, h, D, M, YY)
 *                | source address (6, LE) | destination address (6, LE) | app-data length (2, LE) | command (1)
 * Multi-byte integers are little-endian. The checksum is the sum mod 256 of the control unit and
 * the application data ('@@' and '##' excluded). TCP or UDP; Chinese text is GB 18030.
 */

export const GBT26875_HEAD = 0x40; // '@'
export const GBT26875_TAIL = 0x23; // '#'
/** Control unit length: 2 + 2 + 6 + 6 + 6 + 2 + 1. */
export const GBT26875_CONTROL_LEN = 25;
/** Largest application data unit the standard allows. */
export const GBT26875_MAX_APP_LEN = 1024;
/** Bytes around the application data: '@@' + control unit + checksum + '##'. */
export const GBT26875_OVERHEAD = 2 + GBT26875_CONTROL_LEN + 1 + 2;

/** Command byte (control unit, last byte). */
export const GBT26875_COMMANDS = {
  control: 1,
  send: 2,
  confirm: 3,
  request: 4,
  response: 5,
  deny: 6,
} as const;
export type Gbt26875Command = keyof typeof GBT26875_COMMANDS;
const COMMAND_NAMES = new Map<number, Gbt26875Command>(Object.entries(GBT26875_COMMANDS).map(([k, v]) => [v, k as Gbt26875Command]));

export interface Gbt26875Frame {
  /** Business serial number, 0..65535; a confirm or deny repeats the serial of the frame it answers. */
  readonly serial: number;
  /** Protocol version (major, minor); 1.1 in the 2011 edition's examples. */
  readonly version: { readonly major: number; readonly minor: number };
  /** Time tag as sent (China time), epoch ms; undefined when the six bytes are not a valid date. */
  readonly time: number | undefined;
  /** Source address: 6 bytes little-endian, written as 12 hex digits most significant first. */
  readonly source: string;
  readonly destination: string;
  readonly command: Gbt26875Command | number;
  /** The application data unit (a view into the input, not a copy). */
  readonly appData: Uint8Array;
  readonly checksumInFrame: number;
  readonly checksumCalc: number;
  readonly checksumValid: boolean;
}

/** Arithmetic sum mod 256 of `bytes[start..end)`. */
export function gbt26875Checksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum = (sum + bytes[i]!) & 0xff;
  return sum;
}

/** A 6-byte little-endian address as 12 hex digits, most significant byte first. */
export function gbt26875Address(bytes: Uint8Array, at: number): string {
  let s = '';
  for (let i = at + 5; i >= at; i--) s += bytes[i]!.toString(16).padStart(2, '0');
  return s.toUpperCase();
}

function writeAddress(out: Uint8Array, at: number, hex: string, what: string): void {
  if (!/^[0-9A-Fa-f]{12}$/.test(hex)) throw new RangeError(`GB/T 26875.3 ${what} address must be 12 hex digits: ${JSON.stringify(hex)}`);
  for (let i = 0; i < 6; i++) out[at + i] = parseInt(hex.slice(10 - 2 * i, 12 - 2 * i), 16);
}

/** Six time bytes (s, m, h, D, M, YY since 2000) in China time to epoch ms. */
export function parseGbt26875Time(bytes: Uint8Array, at: number): number | undefined {
  const [s, mi, h, d, mo, y] = [bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!, bytes[at + 4]!, bytes[at + 5]!];
  if (s > 59 || mi > 59 || h > 23 || d < 1 || d > 31 || mo < 1 || mo > 12) return undefined;
  return chinaTimeToEpoch(2000 + y, mo, d, h, mi, s, 0);
}

const CHINA_OFFSET_MS = 8 * 3_600_000;

/** Epoch ms to the six time bytes (China time). */
export function gbt26875TimeBytes(epochMs: number): number[] {
  const t = new Date(epochMs + CHINA_OFFSET_MS);
  const year = t.getUTCFullYear() - 2000;
  if (year < 0 || year > 255) throw new RangeError(`GB/T 26875.3 time ${new Date(epochMs).toISOString()} is outside 2000..2255`);
  return [t.getUTCSeconds(), t.getUTCMinutes(), t.getUTCHours(), t.getUTCDate(), t.getUTCMonth() + 1, year];
}

/** How many bytes a frame starting at `offset` needs in total, or undefined before the header is in. */
export function gbt26875FrameLength(bytes: Uint8Array, offset = 0): number | undefined {
  if (bytes.length - offset < 2 + GBT26875_CONTROL_LEN) return undefined;
  const appLen = bytes[offset + 24]! | (bytes[offset + 25]! << 8);
  return GBT26875_OVERHEAD + appLen;
}

/**
 * Decodes the frame at `offset`; `end` is the offset after its '##'. Fails with
 * GANZHI_ERR_NORM_BAD_FRAME on a bad head, tail or length; the checksum is reported
 * (`checksumValid`), not judged, so that a listener can deny it by serial.
 */
export function decodeGbt26875Frame(bytes: Uint8Array, offset = 0): Decoded<{ frame: Gbt26875Frame; end: number }> {
  const p = offset;
  const avail = bytes.length - p;
  if (avail < GBT26875_OVERHEAD) return fail('GANZHI_ERR_NORM_BAD_FRAME', `GB/T 26875.3 frame too short: ${avail} bytes`);
  if (bytes[p] !== GBT26875_HEAD || bytes[p + 1] !== GBT26875_HEAD) return fail('GANZHI_ERR_NORM_BAD_FRAME', 'GB/T 26875.3 frame does not start with "@@"');
  const appLen = bytes[p + 24]! | (bytes[p + 25]! << 8);
  if (appLen > GBT26875_MAX_APP_LEN) return fail('GANZHI_ERR_NORM_BAD_FRAME', `application data length ${appLen} exceeds ${GBT26875_MAX_APP_LEN}`);
  const total = GBT26875_OVERHEAD + appLen;
  if (total > avail) return fail('GANZHI_ERR_NORM_BAD_FRAME', `declared application data length ${appLen} exceeds the ${avail}-byte frame`);
  const sumAt = p + 2 + GBT26875_CONTROL_LEN + appLen;
  if (bytes[sumAt + 1] !== GBT26875_TAIL || bytes[sumAt + 2] !== GBT26875_TAIL) return fail('GANZHI_ERR_NORM_BAD_FRAME', 'GB/T 26875.3 frame does not end with "##" where its length says');
  const cmd = bytes[p + 26]!;
  const checksumCalc = gbt26875Checksum(bytes, p + 2, sumAt);
  const frame: Gbt26875Frame = {
    serial: bytes[p + 2]! | (bytes[p + 3]! << 8),
    version: { major: bytes[p + 4]!, minor: bytes[p + 5]! },
    time: parseGbt26875Time(bytes, p + 6),
    source: gbt26875Address(bytes, p + 12),
    destination: gbt26875Address(bytes, p + 18),
    command: COMMAND_NAMES.get(cmd) ?? cmd,
    appData: bytes.subarray(p + 27, sumAt),
    checksumInFrame: bytes[sumAt]!,
    checksumCalc,
    checksumValid: checksumCalc === bytes[sumAt],
  };
  return { ok: true, value: { frame, end: sumAt + 3 } };
}

export interface Gbt26875FrameInput {
  readonly serial: number;
  readonly version?: { readonly major: number; readonly minor: number };
  /** Epoch ms, written as China time. */
  readonly time: number;
  readonly source: string;
  readonly destination: string;
  readonly command: Gbt26875Command;
  readonly appData?: Uint8Array | readonly number[];
}

/** Builds a complete frame. Throws RangeError on input that cannot be framed. */
export function encodeGbt26875Frame(input: Gbt26875FrameInput): Buffer {
  const app = input.appData ?? [];
  if (app.length > GBT26875_MAX_APP_LEN) throw new RangeError(`GB/T 26875.3 application data of ${app.length} bytes exceeds ${GBT26875_MAX_APP_LEN}`);
  if (!Number.isInteger(input.serial) || input.serial < 0 || input.serial > 0xffff) throw new RangeError(`GB/T 26875.3 serial must be 0..65535: ${input.serial}`);
  const out = Buffer.alloc(GBT26875_OVERHEAD + app.length);
  out[0] = out[1] = GBT26875_HEAD;
  out.writeUInt16LE(input.serial, 2);
  out[4] = input.version?.major ?? 1;
  out[5] = input.version?.minor ?? 1;
  out.set(gbt26875TimeBytes(input.time), 6);
  writeAddress(out, 12, input.source, 'source');
  writeAddress(out, 18, input.destination, 'destination');
  out.writeUInt16LE(app.length, 24);
  out[26] = GBT26875_COMMANDS[input.command];
  out.set(app, 27);
  const sumAt = 27 + app.length;
  out[sumAt] = gbt26875Checksum(out, 2, sumAt);
  out[sumAt + 1] = out[sumAt + 2] = GBT26875_TAIL;
  return out;
}

/**
 * The centre's answer to `frame`: confirm (3) or deny (6) with the same serial, addresses swapped
 * and no application data (§ 8, the confirm/deny exchange of a send-data command).
 */
export function gbt26875Answer(frame: Pick<Gbt26875Frame, 'serial' | 'version' | 'source' | 'destination'>, answer: 'confirm' | 'deny', time: number): Buffer {
  return encodeGbt26875Frame({
    serial: frame.serial,
    version: frame.version,
    time,
    source: frame.destination,
    destination: frame.source,
    command: answer,
  });
}
