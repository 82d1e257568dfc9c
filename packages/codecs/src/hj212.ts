import { crc16Arc, crc16Hj212, crc16Modbus, hex4, swap16 } from './crc';
import { fail, type Decoded } from './result';

/*
 * HJ 212 frames (HJ 212-2017 §6.3, also HJ/T 212-2005 and HJ 212-2025; domain README §1):
 *   "##" | LLLL | data segment (LLLL bytes) | CCCC | CR LF
 * Framing is by the declared byte length, not by CRLF (captures drop it; long frames exceed the
 * standard's 1024). The CRC covers the data segment only.
 */

/** How a device computes and prints its CRC (device attribute `crc`; domain README §0 item 1). */
export const HJ212_CRC_VARIANTS = ['hj212', 'modbus-le', 'modbus-be', 'arc', 'none'] as const;
export type Hj212CrcVariant = (typeof HJ212_CRC_VARIANTS)[number];

/** Parsed CP: plain keys (DataTime, RtdInterval, QnRtn, ...) and `<code>-<suffix>` measurement keys. */
export interface Hj212Cp {
  /** Keys without a `-`: `DataTime`, `RtdInterval`, `QnRtn`, `ExeRtn`, ... Last one wins on repeats. */
  readonly fields: Record<string, string>;
  /** `a34004-Rtd=35,a34004-Flag=N` -> `{ a34004: { Rtd: '35', Flag: 'N' } }`. Last one wins on repeats. */
  readonly pollutants: Record<string, Record<string, string>>;
  /**
   * Items without `=`, with the key and value of the item before them: `a34004-Rtd=1,5` gives
   * `{ after: 'a34004-Rtd', value: '1', text: '5' }`, the sign of a decimal comma.
   */
  readonly orphans: readonly { readonly after: string; readonly value: string; readonly text: string }[];
}

export interface Hj212Frame {
  /** The LLLL field. */
  readonly declaredLen: number;
  /** Whether the data segment is exactly LLLL bytes and followed by 4 hex CRC digits. */
  readonly lenValid: boolean;
  /** The data segment, as text. */
  readonly segment: string;
  /** The data segment's bytes (a view into the input, not a copy). */
  readonly segmentBytes: Uint8Array;
  /** The CRC as it appears in the frame (case preserved). */
  readonly crcInFrame: string;
  /** The HJ 212 algorithm's CRC of the data segment, upper case. */
  readonly crcHj212Computed: string;
  /** Whether CR LF followed the CRC. */
  readonly terminated: boolean;
  readonly QN?: string;
  readonly ST?: string;
  readonly CN?: string;
  readonly PW?: string;
  readonly MN?: string;
  readonly Flag?: string;
  readonly PNUM?: string;
  readonly PNO?: string;
  /** Every `KEY=value` of the data segment before CP, including the ones above. */
  readonly fields: Record<string, string>;
  readonly cp: Hj212Cp;
  /** The raw CP text between `CP=&&` and the closing `&&`. */
  readonly cpText: string;
}

const HASH = 0x23; // '#'
const CR = 0x0d;
const LF = 0x0a;

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Calls `into` for each `key=value` between separators (`;`, and `,` when `commaToo`), `orphan` for other non-empty items. */
function splitPairs(text: string, commaToo: boolean, into: (key: string, value: string) => void, orphan?: (text: string) => void): void {
  let start = 0;
  const n = text.length;
  while (start <= n) {
    let end = start;
    while (end < n) {
      const c = text.charCodeAt(end);
      if (c === 0x3b /* ; */ || (commaToo && c === 0x2c) /* , */) break;
      end++;
    }
    if (end > start) {
      const eq = text.indexOf('=', start);
      if (eq > start && eq < end) into(text.slice(start, eq), text.slice(eq + 1, end));
      else if (orphan !== undefined && (eq < 0 || eq >= end)) orphan(text.slice(start, end));
    }
    start = end + 1;
  }
}

/**
 * Parses CP content (§6.3.3): items separated by `;`, values of one item by `,`. Lenient: empty
 * items (a trailing `;`), repeated keys (last wins), vendor codes and items without `=` are kept
 * or skipped without failing.
 */
export function parseHj212Cp(cpText: string): Hj212Cp {
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  const pollutants: Record<string, Record<string, string>> = Object.create(null) as Record<string, Record<string, string>>;
  const orphans: { after: string; value: string; text: string }[] = [];
  let lastKey = '';
  let lastValue = '';
  const orphan = (text: string) => {
    if (orphans.length < 64) orphans.push({ after: lastKey, value: lastValue, text });
  };
  splitPairs(cpText, true, (key, value) => {
    lastKey = key;
    lastValue = value;
    const dash = key.indexOf('-');
    if (dash <= 0 || dash === key.length - 1) {
      fields[key] = value;
      return;
    }
    const code = key.slice(0, dash);
    (pollutants[code] ??= Object.create(null) as Record<string, string>)[key.slice(dash + 1)] = value;
  }, orphan);
  return { fields, pollutants, orphans };
}

/**
 * Decodes the frame that starts at `offset` (leading whitespace is skipped). `end` is the offset
 * just after the frame (after CR LF when present), so that a caller can decode a stream of frames.
 * Fails with GANZHI_ERR_NORM_BAD_FRAME; the CRC is reported, not judged (see `hj212CrcMatches`).
 */
export function decodeHj212(input: string | Uint8Array, offset = 0): Decoded<{ frame: Hj212Frame; end: number }> {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  let p = offset;
  while (p < bytes.length && (bytes[p] === 0x20 || bytes[p] === CR || bytes[p] === LF || bytes[p] === 0x09)) p++;
  if (bytes.length - p < 12) return fail('GANZHI_ERR_NORM_BAD_FRAME', `frame too short: ${bytes.length - p} bytes`);
  if (bytes[p] !== HASH || bytes[p + 1] !== HASH) return fail('GANZHI_ERR_NORM_BAD_FRAME', 'frame does not start with "##"');
  let declaredLen = 0;
  for (let i = p + 2; i < p + 6; i++) {
    const d = bytes[i]! - 48;
    if (d < 0 || d > 9) return fail('GANZHI_ERR_NORM_BAD_FRAME', 'length field is not 4 decimal digits');
    declaredLen = declaredLen * 10 + d;
  }
  const segStart = p + 6;
  let segEnd = segStart + declaredLen;
  let lenValid = segEnd + 4 <= bytes.length && isCrcAt(bytes, segEnd) && bytes[segEnd - 1] === 0x26 && bytes[segEnd - 2] === 0x26;
  if (!lenValid) {
    // Lenient fallback for a wrong LLLL: the segment ends at the last "&&" followed by 4 hex digits.
    segEnd = findCpEnd(bytes, segStart);
    if (segEnd < 0) return fail('GANZHI_ERR_NORM_BAD_FRAME', `declared length ${declaredLen} does not end at "&&" and a CRC, and no CP end was found`);
  }
  const segmentBytes = bytes.subarray(segStart, segEnd);
  const segment = Buffer.from(segmentBytes.buffer, segmentBytes.byteOffset, segmentBytes.length).toString('utf8');
  const crcInFrame = String.fromCharCode(bytes[segEnd]!, bytes[segEnd + 1]!, bytes[segEnd + 2]!, bytes[segEnd + 3]!);
  let end = segEnd + 4;
  const terminated = bytes[end] === CR && bytes[end + 1] === LF;
  if (terminated) end += 2;

  const cpAt = segment.indexOf('CP=&&');
  if (cpAt < 0) return fail('GANZHI_ERR_NORM_BAD_FRAME', 'data segment has no "CP=&&"');
  if (!segment.endsWith('&&') || segment.length < cpAt + 7) return fail('GANZHI_ERR_NORM_BAD_FRAME', 'CP does not end with "&&"');
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  splitPairs(segment.slice(0, cpAt), false, (k, v) => {
    fields[k] = v;
  });
  const cpText = segment.slice(cpAt + 5, segment.length - 2);
  const frame: Hj212Frame = {
    declaredLen,
    lenValid,
    segment,
    segmentBytes,
    crcInFrame,
    crcHj212Computed: hex4(crc16Hj212(segmentBytes)),
    terminated,
    QN: fields.QN,
    ST: fields.ST,
    CN: fields.CN,
    PW: fields.PW,
    MN: fields.MN,
    Flag: fields.Flag,
    PNUM: fields.PNUM,
    PNO: fields.PNO,
    fields,
    cp: parseHj212Cp(cpText),
    cpText,
  };
  return { ok: true, value: { frame, end } };
}

function isCrcAt(bytes: Uint8Array, at: number): boolean {
  return isHexDigit(bytes[at]!) && isHexDigit(bytes[at + 1]!) && isHexDigit(bytes[at + 2]!) && isHexDigit(bytes[at + 3]!);
}

/** The first "&&" + 4 hex digits that is followed by CR LF, "##" or the end of the input. */
function findCpEnd(bytes: Uint8Array, from: number): number {
  for (let i = from + 2; i + 4 <= bytes.length; i++) {
    if (bytes[i - 1] !== 0x26 || bytes[i - 2] !== 0x26 || !isCrcAt(bytes, i)) continue;
    const j = i + 4;
    if (j === bytes.length || (bytes[j] === CR && bytes[j + 1] === LF) || (bytes[j] === HASH && bytes[j + 1] === HASH)) return i;
  }
  return -1;
}

/** The CRC of `segment` as `variant` prints it (4 upper-case hex digits); '' for 'none'. */
export function hj212Crc(segment: Uint8Array, variant: Hj212CrcVariant): string {
  switch (variant) {
    case 'hj212':
      return hex4(crc16Hj212(segment));
    case 'modbus-le':
      return hex4(swap16(crc16Modbus(segment)));
    case 'modbus-be':
      return hex4(crc16Modbus(segment));
    case 'arc':
      return hex4(crc16Arc(segment));
    case 'none':
      return '';
    default: {
      const never: never = variant;
      throw new TypeError(`unknown CRC variant ${String(never)}`);
    }
  }
}

/** Whether the frame's CRC verifies with `variant` (case-insensitive; 'none' always does). */
export function hj212CrcMatches(frame: Hj212Frame, variant: Hj212CrcVariant): boolean {
  if (variant === 'none') return true;
  const inFrame = frame.crcInFrame.toUpperCase();
  return variant === 'hj212' ? inFrame === frame.crcHj212Computed : inFrame === hj212Crc(frame.segmentBytes, variant);
}

/** Which algorithm the frame's CRC was made with, trying 'hj212' first; null if none matches. */
export function detectHj212CrcVariant(frame: Hj212Frame): Exclude<Hj212CrcVariant, 'none'> | null {
  for (const v of ['hj212', 'modbus-le', 'modbus-be', 'arc'] as const) if (hj212CrcMatches(frame, v)) return v;
  return null;
}

/** Flag bits (§6.3.2 table 3): `V5..V0 D A`. */
export interface Hj212FlagInfo {
  /** 0 = HJ/T 212-2005, 1 = HJ 212-2017, 2 = HJ 212-2025. */
  readonly version: number;
  /** D: the frame carries PNUM/PNO. */
  readonly split: boolean;
  /** A: the sender expects a reply. */
  readonly ackRequired: boolean;
}

export function hj212FlagInfo(flag: string | undefined): Hj212FlagInfo | undefined {
  if (flag === undefined || !/^\d{1,3}$/.test(flag)) return undefined;
  const n = Number(flag);
  if (n > 255) return undefined;
  return { version: n >> 2, split: (n & 2) !== 0, ackRequired: (n & 1) !== 0 };
}
