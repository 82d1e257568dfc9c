import { crc16Modbus, hex4 } from './crc';
import { SL651_END, type Sl651Frame } from './sl651';
import { SL651_ASCII_SOH, type Sl651AsciiFrame } from './sl651-ascii';
import { formatSl651Time } from './time';

/*
 * SL 651-2014 HEX down-frames that answer a station (domain README §2.2, tables 21/22):
 *   7E 7E | station (5) | centre (1) | password (2) | function (1) | 8 + length (2) | STX
 *   | serial (2, the up-frame's) + send time (6 BCD, the centre's clock) | end | CRC (high byte first)
 * End characters: ACK (06) acknowledges and asks for the next packet, NAK (15) asks for a resend,
 * EOT (04) acknowledges and ends the exchange, ESC (1B) acknowledges and keeps the link open.
 * A station in ASCII mode (§6.4) is answered in ASCII mode (§6.1.2: one link never mixes them):
 *   SOH | station (10) | centre (2) | password (4) | function (2) | "8" + length (3) | STX
 *   | serial (4 hex) " " send time (12 digits) " " | end | CRC (4 hex characters)
 * with the body written as ASCII up-frames write theirs (values separated and ended by a space [P]).
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

/** Serial number of an ASCII-mode up-frame (the body's first 4 hex characters), 0 when it has none. */
export function sl651AsciiSerial(frame: Pick<Sl651AsciiFrame, 'body'>): number {
  const m = /^([0-9A-Fa-f]{4})(?: |$)/.exec(frame.body);
  return m ? parseInt(m[1]!, 16) : 0;
}

/** The ASCII-mode down-frame answering a station in ASCII mode. */
export function encodeSl651AsciiAnswer(input: Sl651AnswerInput): Buffer {
  if (!/^[0-9A-Fa-f]{10}$/.test(input.station)) throw new RangeError(`SL 651 station address must be 10 hex digits: ${JSON.stringify(input.station)}`);
  if (!/^[0-9A-Fa-f]{4}$/.test(input.password)) throw new RangeError(`SL 651 password must be 4 hex digits: ${JSON.stringify(input.password)}`);
  const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');
  const body = `${hex(input.serial & 0xffff, 4)} ${formatSl651Time(input.time, true)} `;
  const head = input.station.toUpperCase() + hex(input.centre & 0xff, 2) + input.password.toUpperCase() + hex(input.funcCode & 0xff, 2) + '8' + hex(body.length, 3);
  const pre = Buffer.concat([Buffer.from([SL651_ASCII_SOH]), Buffer.from(head, 'latin1'), Buffer.from([0x02]), Buffer.from(body, 'latin1'), Buffer.from([SL651_END[input.end]])]);
  return Buffer.concat([pre, Buffer.from(hex4(crc16Modbus(pre, 0, pre.length)), 'latin1')]);
}

/** The ASCII-mode answer to an ASCII-mode up-frame: ESC (or ACK after ETB) to acknowledge, NAK to ask again. */
export function sl651AsciiAnswerTo(frame: Sl651AsciiFrame, kind: 'ack' | 'nak', time: number): Buffer {
  return encodeSl651AsciiAnswer({
    centre: frame.centre,
    station: frame.station,
    password: frame.password,
    funcCode: frame.funcCode,
    serial: sl651AsciiSerial(frame),
    time,
    end: kind === 'nak' ? 'NAK' : frame.endChar === 'ETB' ? 'ACK' : 'ESC',
  });
}
