import {
  HJ212_CRC_VARIANTS,
  checkHj212Frame,
  decodeHj212,
  encodeHj212,
  formatHj212Time,
  hj212FlagInfo,
  type Hj212CrcVariant,
  type Hj212Frame,
} from '@ganzhi/codecs';
import type { Device } from '@ganzhi/registry';
import { garbageBefore, type FrameStart } from './framing';
import type { Accepted, Bad, Claim, ProtocolSpec, RefusalReason, Split } from './spec';

/*
 * HJ 212-2017 over TCP (domain README §1): a data logger connects and sends
 *   "##" LLLL <data segment> CCCC CR LF
 * Frames are cut by the declared byte length (not by CR LF, which captures drop); a length that
 * does not land on "&&" + CRC falls back to the next CR LF. Each frame carries MN and PW.
 * Answers (§6.6 table 9): CN 9014 data answer with the same QN when Flag's A bit asks for one
 * (9013 for a notification); 9011 with QnRtn 3 (PW), 4 (MN) or 9 (CRC) as the negative answer.
 */

const HASH = 0x23;
const CR = 0x0d;
const LF = 0x0a;
/** "##" + 4 digits + at most 9999 bytes + CRC + CR LF. */
export const HJ212_MAX_FRAME = 6 + 9999 + 4 + 2;
/** Heartbeat (HJ 212-2025 CN 9015): the link is alive, nothing to store. */
const KEEP_ALIVE_CNS = new Set(['9015']);
const NOTIFICATION_CNS = new Set(['1013']);

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102));
}

/** "##" and 4 length digits (as far as they have arrived). */
const HJ212_START: FrameStart = { marker: [HASH, HASH], plausible: (b) => [2, 3, 4, 5].every((i) => i >= b.length || isDigit(b[i])) };
const STARTS = [HJ212_START];

export function splitHj212(buf: Buffer): Split {
  let lead = 0;
  while (lead < buf.length && (buf[lead] === CR || buf[lead] === LF || buf[lead] === 0x20)) lead++;
  if (lead > 0) return { type: 'skip', length: lead };
  if (buf[0] !== HASH || buf[1] !== HASH) return garbageBefore(buf, STARTS);
  if (!HJ212_START.plausible!(buf)) return garbageBefore(buf, STARTS, 1);
  if (buf.length < 6) return { type: 'need' };
  const len = Number(buf.toString('latin1', 2, 6));
  const crcAt = 6 + len;
  if (buf.length >= crcAt + 4) {
    const shaped = buf[crcAt - 1] === 0x26 && buf[crcAt - 2] === 0x26 && [0, 1, 2, 3].every((i) => isHex(buf[crcAt + i]));
    if (shaped) {
      if (buf[crcAt + 4] === CR && buf[crcAt + 5] === LF) return { type: 'frame', length: crcAt + 6 };
      // CR LF may still be on its way; a device that drops it is served without it (the stray
      // CR LF of a late arrival is skipped before the next frame).
      return { type: 'frame', length: crcAt + 4 };
    }
  }
  // The declared length does not land on "&&" + CRC (yet): the frame ends at the first CR LF.
  const crlf = buf.indexOf('\r\n', 6, 'latin1');
  if (crlf >= 0 && (crlf < crcAt || buf.length >= crcAt + 4)) return { type: 'frame', length: crlf + 2 };
  const next = buf.indexOf('##', 2, 'latin1');
  if (next > 0 && buf.length >= crcAt + 4) return { type: 'frame', length: next };
  return { type: 'need' };
}

function decode(frame: Buffer): Hj212Frame | Bad {
  const d = decodeHj212(frame);
  if (!d.ok) return { type: 'bad', code: 'GANZHI_ERR_GW_BAD_FRAME', reason: d.reason };
  return d.value.frame;
}

function variantOf(device: Device | undefined): Hj212CrcVariant {
  const v = device?.attributes.crc;
  return typeof v === 'string' && (HJ212_CRC_VARIANTS as readonly string[]).includes(v) ? (v as Hj212CrcVariant) : 'hj212';
}

/** An answer frame from the centre (ST 91, the request's QN, MN and PW). */
export function hj212Answer(frame: Pick<Hj212Frame, 'QN' | 'MN' | 'PW' | 'Flag'>, cn: string, cp: string, variant: Hj212CrcVariant = 'hj212'): Buffer {
  const version = hj212FlagInfo(frame.Flag)?.version ?? 1;
  return Buffer.from(
    encodeHj212(
      { ...(frame.QN === undefined ? {} : { QN: frame.QN }), ST: '91', CN: cn, PW: frame.PW ?? '', MN: frame.MN ?? '', Flag: version << 2, cp },
      { crc: variant === 'none' ? 'hj212' : variant },
    ),
    'utf8',
  );
}

/** The answer an upload asks for (Flag A bit), or undefined. */
export function hj212Ack(frame: Hj212Frame, variant: Hj212CrcVariant = 'hj212'): Buffer | undefined {
  if (!hj212FlagInfo(frame.Flag)?.ackRequired) return undefined;
  if (frame.CN === '9011' || frame.CN === '9012' || frame.CN === '9013' || frame.CN === '9014') return undefined; // answers are not answered
  return hj212Answer(frame, NOTIFICATION_CNS.has(frame.CN ?? '') ? '9013' : '9014', '', variant);
}

const QN_RTN: Record<RefusalReason, string> = { password: '3', unknown: '4', 'other-device': '4', peer: '2' };

export const hj212Spec: ProtocolSpec = {
  name: 'hj212',
  idAttribute: 'mn',
  passwords: true,
  split: splitHj212,
  claim(bytes): Claim | Bad {
    const frame = decode(bytes);
    if ('type' in frame) return frame;
    if (!frame.MN) return { type: 'bad', code: 'GANZHI_ERR_GW_BAD_FRAME', reason: 'HJ 212 frame has no MN' };
    return { type: 'claim', id: frame.MN, password: frame.PW ?? '' };
  },
  judge(bytes, device): Accepted | Bad {
    const frame = decode(bytes);
    if ('type' in frame) return frame;
    const variant = variantOf(device);
    const problem = checkHj212Frame(frame, variant);
    if (problem !== undefined) {
      const code = problem.code === 'GANZHI_ERR_NORM_BAD_CRC' ? 'GANZHI_ERR_GW_BAD_CRC' : 'GANZHI_ERR_GW_BAD_FRAME';
      return { type: 'bad', code, reason: problem.reason, answer: hj212Answer(frame, '9011', `QnRtn=${code === 'GANZHI_ERR_GW_BAD_CRC' ? '9' : '100'}`, variant) };
    }
    return { type: 'accepted', keepAlive: KEEP_ALIVE_CNS.has(frame.CN ?? ''), answer: hj212Ack(frame, variant) };
  },
  refuse(bytes, why): Buffer | undefined {
    const frame = decode(bytes);
    if ('type' in frame) return undefined;
    return hj212Answer(frame, '9011', `QnRtn=${QN_RTN[why]}`);
  },
};

/** A QN for frames the centre originates: the current time to the millisecond (§6.3.2). */
export const hj212Qn = (now: number) => formatHj212Time(now, true);
