import {
  SL651_ASCII_SOH,
  SL651_END,
  crc16Modbus,
  decodeSl651AsciiFrame,
  decodeSl651Frame,
  hex4,
  sl651AnswerTo,
  sl651AsciiAnswerTo,
  swap16,
  type Sl651AsciiFrame,
  type Sl651Frame,
} from '@ganzhi/codecs';
import type { Device } from '@ganzhi/registry';
import { markedSplitter, type FrameShape } from './framing';
import type { Accepted, Bad, Claim, ProtocolSpec } from './spec';

/*
 * SL 651-2014 over TCP (domain README §2): an RTU connects and sends, in HEX mode,
 *   7E 7E | centre | station (5) | password (2) | function | 0 + length (2) | STX/SYN | body | ETX/ETB | CRC
 * or in ASCII mode (§6.4) the same fields as hex text after SOH:
 *   SOH | centre (2) | station (10) | password (4) | function (2) | "0" + length (3) | STX | body | ETX/ETB | CRC (4)
 * both cut by the declared body length; the first byte tells the encodings apart (7E or SOH 01).
 * The station address and password identify the station. A link speaks one encoding (§6.1.2): the
 * registry's `sl651Encoding` ("hex" or "ascii") pins it, otherwise the first accepted frame does.
 * In the acknowledged link modes (M2 send/confirm, M4; device attribute `sl651Mode`, default M2)
 * the centre answers each report in the station's encoding with a down-frame ending in ESC (ACK
 * after ETB), and a frame whose CRC fails with NAK (resend). Link keep-alive (2FH) gets no answer
 * and is not stored.
 */

export const SL651_MAX_FRAME = 14 + 0xfff + 3;
const KEEP_ALIVE = 0x2f;
const STX = 0x02;
const SYN = 0x16;
const END_CHARS = new Set<number>(Object.values(SL651_END));

const isHexChar = (c: number | undefined) => c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));

const HEX_MODE: FrameShape = {
  marker: [0x7e, 0x7e],
  header: 14,
  total(buf) {
    const dirLen = buf.readUInt16BE(11);
    const dir = dirLen >> 12;
    if ((dir !== 0 && dir !== 8) || (buf[13] !== STX && buf[13] !== SYN)) return undefined;
    return 14 + (dirLen & 0xfff) + 3;
  },
  tail: (buf, total) => END_CHARS.has(buf[total - 3]!),
};

const ASCII_MODE: FrameShape = {
  marker: [SL651_ASCII_SOH],
  // 22 hex characters of header, the direction character "0" or "8", then STX (SYN: M3)
  plausible(buf) {
    for (let i = 1; i < Math.min(buf.length, 23); i++) if (!isHexChar(buf[i])) return false;
    if (buf.length > 19 && buf[19] !== 0x30 && buf[19] !== 0x38) return false;
    return buf.length <= 23 || buf[23] === STX || buf[23] === SYN;
  },
  header: 24,
  total: (buf) => 24 + parseInt(buf.toString('latin1', 20, 23), 16) + 1 + 4,
  tail: (buf, total) => END_CHARS.has(buf[total - 5]!) && [1, 2, 3, 4].every((i) => isHexChar(buf[total - i])),
};

export const splitSl651 = markedSplitter([HEX_MODE, ASCII_MODE]);

type Encoding = 'hex' | 'ascii';
type AnyFrame = (Sl651Frame & { mode?: undefined }) | Sl651AsciiFrame;

function decode(bytes: Buffer): AnyFrame | Bad {
  const d = bytes[0] === SL651_ASCII_SOH ? decodeSl651AsciiFrame(bytes) : decodeSl651Frame(bytes);
  if (!d.ok) return { type: 'bad', code: 'GANZHI_ERR_GW_BAD_FRAME', reason: d.reason };
  return d.value.frame;
}

const encodingOf = (frame: AnyFrame): Encoding => (frame.mode === 'ascii' ? 'ascii' : 'hex');

function crcOk(frame: AnyFrame, bytes: Buffer, device: Device | undefined): boolean {
  const v = device?.attributes.crc;
  if (v === 'none' || frame.crcValid) return true;
  if (v !== 'modbus-le') return false;
  const calc = frame.mode === 'ascii' ? parseInt(frame.crcCalc, 16) : crc16Modbus(bytes, 0, bytes.length - 2);
  return hex4(swap16(calc)) === frame.crcInFrame;
}

/** Whether the device runs an acknowledged link mode (M2 or M4; M1 = send without answer). */
export function sl651Acknowledged(device: Device | undefined): boolean {
  return device?.attributes.sl651Mode !== 'M1';
}

function answer(frame: AnyFrame, kind: 'ack' | 'nak', now: number): Buffer {
  return frame.mode === 'ascii' ? sl651AsciiAnswerTo(frame, kind, now) : sl651AnswerTo(frame, kind, now);
}

/** The acknowledgement a report asks for in an acknowledged mode (in the report's encoding), or undefined. */
export function sl651Ack(frame: AnyFrame, device: Device | undefined, now: number): Buffer | undefined {
  if (frame.direction !== 'up' || frame.funcCode === KEEP_ALIVE || !sl651Acknowledged(device)) return undefined;
  if (frame.endChar !== 'ETX' && frame.endChar !== 'ETB') return undefined;
  return answer(frame, 'ack', now);
}

export const sl651Spec: ProtocolSpec = {
  name: 'sl651',
  idAttribute: 'station',
  passwords: true,
  split: splitSl651,
  claim(bytes): Claim | Bad {
    const frame = decode(bytes);
    if ('type' in frame) return frame;
    return { type: 'claim', id: frame.station, password: frame.password };
  },
  judge(bytes, device, now): Accepted | Bad {
    const frame = decode(bytes);
    if ('type' in frame) return frame;
    const encoding = encodingOf(frame);
    if (frame.direction !== 'up') return { type: 'bad', code: 'GANZHI_ERR_GW_BAD_FRAME', reason: 'SL 651 down-frame received from a station' };
    if (!crcOk(frame, bytes, device)) {
      return {
        type: 'bad',
        code: 'GANZHI_ERR_GW_BAD_CRC',
        reason: `CRC ${frame.crcInFrame} does not verify (CRC-16/MODBUS computes ${frame.crcCalc}${encoding === 'ascii' ? ', ASCII mode' : ''})`,
        answer: sl651Acknowledged(device) ? answer(frame, 'nak', now) : undefined,
      };
    }
    const pinned = device?.attributes.sl651Encoding;
    if ((pinned === 'hex' || pinned === 'ascii') && pinned !== encoding) {
      return { type: 'bad', code: 'GANZHI_ERR_GW_BAD_FRAME', reason: `station ${frame.station} is registered for SL 651 ${pinned.toUpperCase()} mode, this frame is ${encoding.toUpperCase()} (§6.1.2)` };
    }
    return { type: 'accepted', keepAlive: frame.funcCode === KEEP_ALIVE, encoding, answer: sl651Ack(frame, device, now) };
  },
  // SL 651 has no refusal frame: a station with a wrong password or address is disconnected.
  refuse: () => undefined,
};
