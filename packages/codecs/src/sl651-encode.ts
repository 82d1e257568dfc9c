import { crc16Modbus } from './crc';
import { SL651_END } from './sl651';
import { formatSl651Time } from './time';

/** Elements the encoder can write, with their identifier and N(digits, decimals) format (Appendix C). */
export const SL651_ENCODABLE = {
  Z: { code: 0x39, digits: 7, decimals: 3 },
  PJ: { code: 0x20, digits: 5, decimals: 1 },
  P1: { code: 0x1a, digits: 5, decimals: 1 },
  PN05: { code: 0x22, digits: 5, decimals: 1 },
  PT: { code: 0x26, digits: 6, decimals: 1 },
  Q: { code: 0x27, digits: 9, decimals: 3 },
  VT: { code: 0x38, digits: 4, decimals: 2 },
} as const;
export type Sl651EncodableId = keyof typeof SL651_ENCODABLE;

export interface Sl651ElementInput {
  readonly id: Sl651EncodableId;
  /** null writes the all-F "missing" marker. */
  readonly value: number | null;
}

export interface Sl651UpFrameInput {
  /** Centre address 1..255. */
  readonly centre: number;
  /** Station address, 10 hex digits (e.g. "0012345678"). */
  readonly station: string;
  /** Password, 4 hex digits. */
  readonly password: string;
  /** 0x30 test, 0x31 uniform, 0x32 timed, 0x33 add, 0x34 hourly report. */
  readonly funcCode: number;
  /** 1..65535. */
  readonly serial: number;
  /** Epoch ms; written as China time. */
  readonly sendTime: number;
  /** One ASCII letter (default 'H', river). */
  readonly stationClass?: string;
  /** Each group is written as F0 F0 + observation time, then its elements. */
  readonly groups: readonly { readonly obsTime: number; readonly elements: readonly Sl651ElementInput[] }[];
  readonly end?: 'ETX' | 'ETB';
}

const REPORT_FUNCS = new Set([0x30, 0x31, 0x32, 0x33, 0x34]);

function bcd(digits: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < digits.length; i += 2) out.push(((digits.charCodeAt(i) - 48) << 4) | (digits.charCodeAt(i + 1) - 48));
  return out;
}

function hexBytes(text: string, bytes: number, what: string): number[] {
  if (!new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`).test(text)) throw new RangeError(`SL 651 ${what} must be ${bytes * 2} hex digits: ${JSON.stringify(text)}`);
  return [...Buffer.from(text, 'hex')];
}

/** Identifier + data-definition byte + BCD data; negative values get a leading FF byte. */
export function encodeSl651Element(el: Sl651ElementInput): number[] {
  const spec = SL651_ENCODABLE[el.id];
  const size = Math.ceil(spec.digits / 2);
  if (el.value === null) return [spec.code, (size << 3) | spec.decimals, ...new Array<number>(size).fill(0xff)];
  if (!Number.isFinite(el.value)) throw new RangeError(`SL 651 ${el.id} must be finite: ${el.value}`);
  const scaled = Math.round(Math.abs(el.value) * 10 ** spec.decimals);
  const digits = String(scaled).padStart(size * 2, '0');
  if (digits.length > size * 2) throw new RangeError(`SL 651 ${el.id} ${el.value} does not fit N(${spec.digits},${spec.decimals})`);
  const data = bcd(digits);
  if (el.value < 0 && scaled !== 0) data.unshift(0xff);
  return [spec.code, (data.length << 3) | spec.decimals, ...data];
}

/**
 * Builds an SL 651 HEX up-frame (report functions 30H-34H) with a CRC-16/MODBUS written high
 * byte first. Throws RangeError on input that cannot be encoded.
 */
export function encodeSl651(input: Sl651UpFrameInput): Buffer {
  if (!REPORT_FUNCS.has(input.funcCode)) throw new RangeError(`SL 651 encoder writes report functions 30H-34H, not ${input.funcCode.toString(16)}H`);
  if (!Number.isInteger(input.centre) || input.centre < 1 || input.centre > 255) throw new RangeError(`SL 651 centre address must be 1..255: ${input.centre}`);
  if (!Number.isInteger(input.serial) || input.serial < 1 || input.serial > 65535) throw new RangeError(`SL 651 serial must be 1..65535: ${input.serial}`);
  const cls = input.stationClass ?? 'H';
  if (cls.length !== 1) throw new RangeError(`SL 651 station class must be one letter: ${JSON.stringify(cls)}`);
  const station = hexBytes(input.station, 5, 'station address');
  const body: number[] = [input.serial >> 8, input.serial & 0xff, ...bcd(formatSl651Time(input.sendTime, true)), 0xf1, 0xf1, ...station, cls.charCodeAt(0)];
  for (const g of input.groups) {
    body.push(0xf0, 0xf0, ...bcd(formatSl651Time(g.obsTime, false)));
    for (const el of g.elements) body.push(...encodeSl651Element(el));
  }
  if (body.length > 0xfff) throw new RangeError(`SL 651 body of ${body.length} bytes exceeds 4095`);
  const frame = [
    0x7e,
    0x7e,
    input.centre,
    ...station,
    ...hexBytes(input.password, 2, 'password'),
    input.funcCode,
    body.length >> 8, // high nibble 0: up-frame
    body.length & 0xff,
    0x02,
    ...body,
    SL651_END[input.end ?? 'ETX'],
  ];
  const out = Buffer.alloc(frame.length + 2);
  out.set(frame);
  const crc = crc16Modbus(out, 0, frame.length);
  out[frame.length] = crc >> 8;
  out[frame.length + 1] = crc & 0xff;
  return out;
}
