import { crc16Modbus } from './crc';
import { SL651_END, type Sl651Frame } from './sl651';
import { formatSl651Time } from './time';

/*
 * SL 651-2014 HEX down-frames that answer a station (domain README §2.2, tables 21/22):
 *   7E 7E | station (5) | centre (1) | password (2) | function (1) | 8 + length (2) | STX
 *   | serial (2, the up-frame's) + send time (6 BCD, the centre's clock) | end | CRC (high byte first)
 * End characters: ACK (06) acknowledges and asks for the next packet, NAK (15) asks for a resend,
 * EOT (04) acknowledges and ends the exchange, ESC (1B) acknowledges and keeps the link open.
 */

export type Sl651AnswerEnd = 'ACK' | 'NAK' | 'EOT' | 'ESC';

export interface Sl651AnswerInput {
  readonly centre: number;
  /** 10 hex digits. */
  readonly station: string;
  /** 4 hex digits. */
  readonly password: string;
  readonly funcCode: number;
  readonly serial: number;
  /** The centre's clock, epoch ms (written as China time). */
  readonly time: number;
  readonly end: Sl651AnswerEnd;
}

/** Serial number of an up-frame (first two body bytes), 0 when the body is too short. */
export function sl651Serial(frame: Pick<Sl651Frame, 'body'>): number {
  return frame.body.length >= 2 ? (frame.body[0]! << 8) | frame.body[1]! : 0;
}

export function encodeSl651Answer(input: Sl651AnswerInput): Buffer {
  if (!/^[0-9A-Fa-f]{10}$/.test(input.station)) throw new RangeError(`SL 651 station address must be 10 hex digits: ${JSON.stringify(input.station)}`);
  if (!/^[0-9A-Fa-f]{4}$/.test(input.password)) throw new RangeError(`SL 651 password must be 4 hex digits: ${JSON.stringify(input.password)}`);
  const time = Buffer.from(formatSl651Time(input.time, true), 'hex');
  const out = Buffer.alloc(14 + 8 + 3);
  out[0] = out[1] = 0x7e;
  Buffer.from(input.station, 'hex').copy(out, 2);
  out[7] = input.centre & 0xff;
  Buffer.from(input.password, 'hex').copy(out, 8);
  out[10] = input.funcCode;
  out.writeUInt16BE(0x8000 | 8, 11);
  out[13] = 0x02;
  out.writeUInt16BE(input.serial & 0xffff, 14);
  time.copy(out, 16);
  out[22] = SL651_END[input.end];
  out.writeUInt16BE(crc16Modbus(out, 0, 23), 23);
  return out;
}

/** The answer to an up-frame: ESC (or ACK after ETB) to acknowledge it, NAK to ask for it again. */
export function sl651AnswerTo(frame: Sl651Frame, kind: 'ack' | 'nak', time: number): Buffer {
  return encodeSl651Answer({
    centre: frame.centre,
    station: frame.station,
    password: frame.password,
    funcCode: frame.funcCode,
    serial: sl651Serial(frame),
    time,
    end: kind === 'nak' ? 'NAK' : frame.endChar === 'ETB' ? 'ACK' : 'ESC',
  });
}
