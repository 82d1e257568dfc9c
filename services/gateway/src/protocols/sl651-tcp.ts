import { SL651_END, crc16Modbus, decodeSl651Frame, hex4, sl651AnswerTo, swap16, type Sl651Frame } from '@ganzhi/codecs';
import type { Device } from '@ganzhi/registry';
import { garbageBefore, type Accepted, type Bad, type Claim, type ProtocolSpec, type Split } from './spec';

/*
 * SL 651-2014 HEX mode over TCP (domain README §2): an RTU connects and sends
 *   7E 7E | centre | station (5) | password (2) | function | 0 + length (2) | STX/SYN | body | ETX/ETB | CRC
 * cut by the declared body length. The station address and password identify it. In the
 * acknowledged link modes (M2 send/confirm, M4; device attribute `sl651Mode`, default M2) the
 * centre answers each report with a down-frame ending in ESC (ACK after ETB), and a frame whose
 * CRC fails with NAK (resend). Link keep-alive (2FH) gets no answer and is not stored.
 */

export const SL651_MAX_FRAME = 14 + 0xfff + 3;
const KEEP_ALIVE = 0x2f;
const END_CHARS = new Set<number>(Object.values(SL651_END));

export function splitSl651(buf: Buffer): Split {
  if (buf[0] !== 0x7e || buf[1] !== 0x7e) return buf.length < 2 ? { type: 'need' } : garbageBefore(buf, 0x7e, 0x7e);
  // 7E 7E 7E ...: the frame starts at the last of a run of 7E
  if (buf[2] === 0x7e) return { type: 'garbage', length: 1 };
  if (buf.length < 14) return { type: 'need' };
  const dirLen = buf.readUInt16BE(11);
  const dir = dirLen >> 12;
  if ((dir !== 0 && dir !== 8) || (buf[13] !== 0x02 && buf[13] !== 0x16)) return garbageBefore(buf, 0x7e, 0x7e, 1);
  const total = 14 + (dirLen & 0xfff) + 3;
  if (buf.length < total) return { type: 'need' };
  if (!END_CHARS.has(buf[total - 3]!)) return garbageBefore(buf, 0x7e, 0x7e, 1);
  return { type: 'frame', length: total };
}

function decode(bytes: Buffer): Sl651Frame | Bad {
  const d = decodeSl651Frame(bytes);
  if (!d.ok) return { type: 'bad', code: 'GANZHI_ERR_GW_BAD_FRAME', reason: d.reason };
  return d.value.frame;
}

function crcOk(frame: Sl651Frame, bytes: Buffer, device: Device | undefined): boolean {
  const v = device?.attributes.crc;
  if (v === 'none' || frame.crcValid) return true;
  return v === 'modbus-le' && hex4(swap16(crc16Modbus(bytes, 0, bytes.length - 2))) === frame.crcInFrame;
}

/** Whether the device runs an acknowledged link mode (M2 or M4; M1 = send without answer). */
export function sl651Acknowledged(device: Device | undefined): boolean {
  return device?.attributes.sl651Mode !== 'M1';
}

/** The acknowledgement a report asks for in an acknowledged mode, or undefined. */
export function sl651Ack(frame: Sl651Frame, device: Device | undefined, now: number): Buffer | undefined {
  if (frame.direction !== 'up' || frame.funcCode === KEEP_ALIVE || !sl651Acknowledged(device)) return undefined;
  if (frame.endChar !== 'ETX' && frame.endChar !== 'ETB') return undefined;
  return sl651AnswerTo(frame, 'ack', now);
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
    if (frame.direction !== 'up') return { type: 'bad', code: 'GANZHI_ERR_GW_BAD_FRAME', reason: 'SL 651 down-frame received from a station' };
    if (!crcOk(frame, bytes, device)) {
      return {
        type: 'bad',
        code: 'GANZHI_ERR_GW_BAD_CRC',
        reason: `CRC ${frame.crcInFrame} does not verify (CRC-16/MODBUS computes ${frame.crcCalc})`,
        answer: sl651Acknowledged(device) ? sl651AnswerTo(frame, 'nak', now) : undefined,
      };
    }
    return { type: 'accepted', keepAlive: frame.funcCode === KEEP_ALIVE, answer: sl651Ack(frame, device, now) };
  },
  // SL 651 has no refusal frame: a station with a wrong password or address is disconnected.
  refuse: () => undefined,
};
