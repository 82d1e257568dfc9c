import { GBT26875_CONTROL_LEN, GBT26875_MAX_APP_LEN, GBT26875_OVERHEAD, decodeGbt26875Frame, gbt26875Answer, type Gbt26875Frame } from '@ganzhi/codecs';
import { markedSplitter } from './framing';
import type { Accepted, Bad, Claim, ProtocolSpec } from './spec';

/*
 * GB/T 26875.3-2011 (domain README §5.1): '@@' | control unit (25) | app data | checksum | '##',
 * over TCP or UDP. A UITD is identified by the source address of its frames and may only speak
 * from the peer addresses its registry entry allows (attribute `peers`). Data (command 2) is
 * confirmed (command 3) after it is stored; a bad checksum, an unknown source or a peer outside the
 * allow-list is denied (command 6). Confirms and denies from the UITD answer our own commands and
 * are not stored.
 */

export const GBT26875_MAX_FRAME = GBT26875_OVERHEAD + GBT26875_MAX_APP_LEN;
const AT = 0x40;

/** '@@', the control unit with the app-data length (LE, at most 1024), the sum, '##'. */
export const splitGbt26875 = markedSplitter([
  {
    marker: [AT, AT],
    header: 2 + GBT26875_CONTROL_LEN,
    total(buf) {
      const appLen = buf.readUInt16LE(24);
      return appLen > GBT26875_MAX_APP_LEN ? undefined : GBT26875_OVERHEAD + appLen;
    },
    tail: (buf, total) => buf[total - 1] === 0x23 && buf[total - 2] === 0x23,
  },
]);

function decode(bytes: Buffer): Gbt26875Frame | Bad {
  const d = decodeGbt26875Frame(bytes);
  if (!d.ok) return { type: 'bad', code: 'GANZHI_ERR_GW_BAD_FRAME', reason: d.reason };
  return d.value.frame;
}

export const gbt26875Spec: ProtocolSpec = {
  name: 'gbt26875',
  idAttribute: 'address',
  passwords: false,
  split: splitGbt26875,
  claim(bytes, now): Claim | Bad {
    const frame = decode(bytes);
    if ('type' in frame) return frame;
    if (!frame.checksumValid) {
      // the source address itself may be what is corrupt: deny before looking anyone up
      return { type: 'bad', code: 'GANZHI_ERR_GW_BAD_CRC', reason: `checksum ${frame.checksumInFrame} does not verify (sum is ${frame.checksumCalc})`, answer: gbt26875Answer(frame, 'deny', now) };
    }
    return { type: 'claim', id: frame.source };
  },
  judge(bytes, _device, now): Accepted | Bad {
    const frame = decode(bytes);
    if ('type' in frame) return frame;
    if (!frame.checksumValid) {
      return { type: 'bad', code: 'GANZHI_ERR_GW_BAD_CRC', reason: `checksum ${frame.checksumInFrame} does not verify (sum is ${frame.checksumCalc})`, answer: gbt26875Answer(frame, 'deny', now) };
    }
    switch (frame.command) {
      case 'send':
        return { type: 'accepted', keepAlive: false, answer: gbt26875Answer(frame, 'confirm', now) };
      case 'response':
      case 'request':
        return { type: 'accepted', keepAlive: false };
      case 'confirm':
      case 'deny':
        return { type: 'accepted', keepAlive: true };
      default:
        return { type: 'bad', code: 'GANZHI_ERR_GW_BAD_FRAME', reason: `command ${String(frame.command)} is not one a UITD sends`, answer: gbt26875Answer(frame, 'deny', now) };
    }
  },
  refuse(bytes, _why, now): Buffer | undefined {
    const frame = decode(bytes);
    return 'type' in frame ? undefined : gbt26875Answer(frame, 'deny', now);
  },
};
