import { crc32 } from 'node:zlib';

/**
 * The on-disk record format of the embedded log (pure: no I/O).
 *
 *   frame   = length u32 LE | crc32 u32 LE (of the payload) | payload
 *   payload = offset u64 LE | timestamp u64 LE | keyLength u32 LE | key (UTF-8) | value (JSON, UTF-8)
 *
 * `length` counts the payload only. Offsets and timestamps are stored as two u32 halves, which is
 * exact for every integer below 2^53.
 */
export const FRAME_HEADER_BYTES = 8;
export const RECORD_HEADER_BYTES = 20;
/** A frame longer than this is treated as corruption, not as a record to read. */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

const TWO_32 = 0x1_0000_0000;

/** A record prepared for appending: serialised once, sizes known. */
export interface PreparedRecord {
  readonly key: string;
  readonly keyBytes: number;
  readonly json: string;
  readonly jsonBytes: number;
}

/** A record as read back from a segment; `json` is the value's JSON text. */
export interface LogRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: string;
  readonly json: string;
}

export function prepareRecord(key: string, value: unknown): PreparedRecord {
  // JSON.stringify(undefined) is undefined: store it as null rather than an unreadable frame.
  const json = JSON.stringify(value) ?? 'null';
  return { key, keyBytes: Buffer.byteLength(key), json, jsonBytes: Buffer.byteLength(json) };
}

export function frameBytes(record: PreparedRecord): number {
  return FRAME_HEADER_BYTES + RECORD_HEADER_BYTES + record.keyBytes + record.jsonBytes;
}

/** Writes one frame into `buf` at `pos` and returns the position after it. */
export function writeFrame(buf: Buffer, pos: number, offset: number, timestamp: number, record: PreparedRecord): number {
  const start = pos + FRAME_HEADER_BYTES;
  const length = RECORD_HEADER_BYTES + record.keyBytes + record.jsonBytes;
  buf.writeUInt32LE(length, pos);
  buf.writeUInt32LE(offset % TWO_32, start);
  buf.writeUInt32LE(Math.floor(offset / TWO_32), start + 4);
  buf.writeUInt32LE(timestamp % TWO_32, start + 8);
  buf.writeUInt32LE(Math.floor(timestamp / TWO_32), start + 12);
  buf.writeUInt32LE(record.keyBytes, start + 16);
  const keyAt = start + RECORD_HEADER_BYTES;
  buf.write(record.key, keyAt, record.keyBytes, 'utf8');
  buf.write(record.json, keyAt + record.keyBytes, record.jsonBytes, 'utf8');
  buf.writeUInt32LE(crc32(buf.subarray(start, start + length)), pos + 4);
  return start + length;
}

export type ScanStop =
  /** Every byte up to `end` was a complete, valid frame. */
  | 'end'
  /** The bytes at `pos` are the start of a frame that continues past `end`. */
  | 'partial'
  /** The bytes at `pos` are not a valid frame (bad length, bad CRC or out-of-sequence offset). */
  | 'corrupt';

export interface ScanResult {
  readonly stop: ScanStop;
  /** Position (relative to `buf`) of the first byte not consumed. */
  readonly pos: number;
  /** For 'partial': the full frame size needed at `pos`, when the header was readable. */
  readonly needBytes: number;
}

/**
 * Decodes consecutive frames of `buf[pos, end)`, calling `onRecord` for each valid one.
 * `expectedOffset` (when not null) is the offset the first frame must carry; each next frame must
 * carry the next offset. `onRecord` returning false stops the scan after that record.
 */
export function scanFrames(
  buf: Buffer,
  pos: number,
  end: number,
  expectedOffset: number | null,
  onRecord: (record: LogRecord, frameStart: number, frameEnd: number) => boolean,
): ScanResult {
  let expected = expectedOffset;
  while (pos < end) {
    if (end - pos < FRAME_HEADER_BYTES) return { stop: 'partial', pos, needBytes: FRAME_HEADER_BYTES };
    const length = buf.readUInt32LE(pos);
    if (length < RECORD_HEADER_BYTES || length > MAX_FRAME_BYTES) return { stop: 'corrupt', pos, needBytes: 0 };
    const frameEnd = pos + FRAME_HEADER_BYTES + length;
    if (frameEnd > end) return { stop: 'partial', pos, needBytes: FRAME_HEADER_BYTES + length };
    const start = pos + FRAME_HEADER_BYTES;
    if (crc32(buf.subarray(start, frameEnd)) !== buf.readUInt32LE(pos + 4)) return { stop: 'corrupt', pos, needBytes: 0 };
    const offset = buf.readUInt32LE(start) + buf.readUInt32LE(start + 4) * TWO_32;
    if (expected !== null && offset !== expected) return { stop: 'corrupt', pos, needBytes: 0 };
    const timestamp = buf.readUInt32LE(start + 8) + buf.readUInt32LE(start + 12) * TWO_32;
    const keyBytes = buf.readUInt32LE(start + 16);
    const keyAt = start + RECORD_HEADER_BYTES;
    if (keyAt + keyBytes > frameEnd) return { stop: 'corrupt', pos, needBytes: 0 };
    const key = buf.toString('utf8', keyAt, keyAt + keyBytes);
    const json = buf.toString('utf8', keyAt + keyBytes, frameEnd);
    const frameStart = pos;
    pos = frameEnd;
    expected = offset + 1;
    if (!onRecord({ offset, timestamp, key, json }, frameStart, frameEnd)) return { stop: 'end', pos, needBytes: 0 };
  }
  return { stop: 'end', pos, needBytes: 0 };
}

/** The smallest frame: headers and an empty key and value. */
export const MIN_FRAME_BYTES = FRAME_HEADER_BYTES + RECORD_HEADER_BYTES;

/**
 * After corrupt bytes at `buf[from]`: the position of the next valid frame in `buf[from + 1, end)`
 * and its offset, or null when there is none (a corrupt or torn tail). A candidate must have a
 * sane length, a matching CRC-32 and an offset that fits the gap: at least `minOffset` (the one
 * the corrupt frame should have carried), and no more than the records the skipped bytes could
 * have held. Pure; O(bytes) with a CRC only where a length fits.
 */
export function findNextFrame(buf: Buffer, from: number, end: number, minOffset: number): { pos: number; offset: number } | null {
  for (let pos = from + 1; pos + MIN_FRAME_BYTES <= end; pos++) {
    const length = buf.readUInt32LE(pos);
    if (length < RECORD_HEADER_BYTES || length > MAX_FRAME_BYTES) continue;
    const frameEnd = pos + FRAME_HEADER_BYTES + length;
    if (frameEnd > end) continue;
    const start = pos + FRAME_HEADER_BYTES;
    const offset = buf.readUInt32LE(start) + buf.readUInt32LE(start + 4) * TWO_32;
    if (offset < minOffset || offset > minOffset + Math.ceil((pos - from) / MIN_FRAME_BYTES)) continue;
    if (buf.readUInt32LE(start + 16) > length - RECORD_HEADER_BYTES) continue;
    if (crc32(buf.subarray(start, frameEnd)) === buf.readUInt32LE(pos + 4)) return { pos, offset };
  }
  return null;
}
