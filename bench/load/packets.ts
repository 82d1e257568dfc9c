/**
 * The few MQTT 3.1.1 packets a load device needs, encoded by hand (no per-message objects), and
 * a frame splitter for what the server sends back. Pure; no I/O.
 */

function lengthBytes(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

/** Writes the remaining-length varint (MQTT 3.1.1 §2.2.3) at `at`; returns the next offset. */
function writeLength(buf: Buffer, at: number, n: number): number {
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    buf[at++] = byte;
  } while (n > 0);
  return at;
}

function utf8Field(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(2 + b.length);
  out.writeUInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
}

/** CONNECT, clean session, protocol level 4 (§3.1). */
export function encodeConnect(clientId: string, keepaliveSec: number, username?: string, password?: string): Buffer {
  const header = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, keepaliveSec >> 8, keepaliveSec & 0xff]);
  const parts = [header, utf8Field(clientId)];
  if (username !== undefined) {
    header[7]! |= 0x80;
    parts.push(utf8Field(username));
    if (password !== undefined) {
      header[7]! |= 0x40;
      parts.push(utf8Field(password));
    }
  }
  const body = Buffer.concat(parts);
  const out = Buffer.allocUnsafe(1 + lengthBytes(body.length) + body.length);
  out[0] = 0x10;
  body.copy(out, writeLength(out, 1, body.length));
  return out;
}

/** The topic as it appears in a PUBLISH: 2-byte length then UTF-8 (§3.3.2.1). */
export const topicField = utf8Field;

/** QoS 1 PUBLISH of an ASCII/Latin-1 payload (JSON built by the load worker) (§3.3). */
export function encodePublishQos1(topic: Buffer, messageId: number, payload: string): Buffer {
  const remaining = topic.length + 2 + payload.length;
  const head = 1 + lengthBytes(remaining);
  const out = Buffer.allocUnsafe(head + remaining);
  out[0] = 0x32;
  let at = writeLength(out, 1, remaining);
  at += topic.copy(out, at);
  out[at++] = messageId >> 8;
  out[at++] = messageId & 0xff;
  out.write(payload, at, 'latin1');
  return out;
}

export const DISCONNECT = Buffer.from([0xe0, 0x00]);
export const PINGREQ = Buffer.from([0xc0, 0x00]);

/** Packet type numbers (§2.2.1) the load worker reacts to. */
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;

/**
 * Splits a byte stream into MQTT packets: `push` calls `onPacket(type, flags, buf, start, end)`
 * for every complete packet (body bytes start..end) and keeps the rest for the next chunk.
 */
export function createSplitter(onPacket: (type: number, flags: number, buf: Buffer, start: number, end: number) => void): (chunk: Buffer) => void {
  let rest: Buffer | undefined;
  return (chunk) => {
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    rest = undefined;
    let off = 0;
    for (;;) {
      if (buf.length - off < 2) break;
      let len = 0;
      let mul = 1;
      let i = off + 1;
      let complete = false;
      for (let k = 0; k < 4 && i < buf.length; k++) {
        const b = buf[i++]!;
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || i + len > buf.length) break;
      onPacket(buf[off]! >> 4, buf[off]! & 0x0f, buf, i, i + len);
      off = i + len;
    }
    if (off < buf.length) rest = Buffer.from(buf.subarray(off));
  };
}
