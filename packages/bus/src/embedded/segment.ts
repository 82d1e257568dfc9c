import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { GanzhiError } from '@ganzhi/schemas';
import { findNextFrame, scanFrames, type LogRecord, MAX_FRAME_BYTES } from './frame';

/** One sparse index entry per this many bytes of a segment. */
export const INDEX_INTERVAL_BYTES = 64 * 1024;
const SCAN_CHUNK_BYTES = 1024 * 1024;
const READ_CHUNK_BYTES = 256 * 1024;

export function segmentFileName(base: number): string {
  return `${String(base).padStart(20, '0')}.log`;
}

export function parseSegmentFileName(name: string): number | null {
  const m = /^(\d{20})\.log$/.exec(name);
  return m ? Number(m[1]) : null;
}

/** Corrupt bytes in the middle of a segment, skipped: valid frames follow them. */
export interface Hole {
  /** File positions of the corrupt bytes, [start, end). */
  readonly start: number;
  readonly end: number;
  /** Offsets that no valid frame carries: records lost in the hole (their bytes are quarantined). */
  readonly skippedRecords: number;
}

export interface ScanOutcome {
  /** End of the last complete, valid frame. */
  readonly validEnd: number;
  /** Whether every byte up to the limit was valid (holes included: they were skipped, not valid). */
  readonly clean: boolean;
  /** Corrupt regions with valid frames after them. */
  readonly holes: readonly Hole[];
  /** Valid records in the segment. */
  readonly records: number;
  readonly nextOffset: number;
  readonly newestTimestamp: number;
}

/**
 * One segment file: records with offsets from `base` upwards. Reads go through a lazily opened
 * read-only handle; the writer (topic-log) owns appends and tells the segment what it appended.
 */
export class Segment {
  readonly base: number;
  readonly path: string;
  /** Bytes of complete, durable records: what readers may see. */
  size: number;
  /** Offset after the last record; null for a sealed segment not scanned yet. */
  nextOffset: number | null;
  /** Newest record's append time; 0 when unknown (retention then uses the file's mtime). */
  newestTimestamp: number;
  deleted = false;
  private indexOffsets: number[] = [];
  private indexPositions: number[] = [];
  private lastIndexedPos = Number.NEGATIVE_INFINITY;
  private indexReady: Promise<void> | null;
  private fd: Promise<FileHandle> | null = null;
  private busy = 0;
  /** Where a corrupt region starts -> where the next valid frame starts (found by the scan). */
  private readonly holes = new Map<number, number>();
  /** Told of the holes a scan finds (the log quarantines their bytes and reports them). */
  onHoles: ((segment: Segment, holes: readonly Hole[], keptRecords: number) => Promise<void>) | undefined;

  constructor(dir: string, base: number, size: number, indexed: boolean) {
    this.base = base;
    this.path = join(dir, segmentFileName(base));
    this.size = size;
    this.nextOffset = size === 0 ? base : null;
    this.newestTimestamp = 0;
    this.indexReady = indexed || size === 0 ? Promise.resolve() : null;
  }

  /** Records a frame's position in the sparse index (called in offset order). */
  noteFrame(offset: number, pos: number): void {
    if (pos - this.lastIndexedPos < INDEX_INTERVAL_BYTES) return;
    this.indexOffsets.push(offset);
    this.indexPositions.push(pos);
    this.lastIndexedPos = pos;
  }

  /**
   * Reads the file from the start up to `limit` bytes, checking every frame and building the index.
   * A corrupt frame followed by valid ones is a hole: skipped (resynchronising on the next valid
   * frame) and reported. Stops at the first partial or invalid frame with nothing valid after it
   * (`clean` false): the tail.
   */
  async scan(limit: number): Promise<ScanOutcome> {
    const outcome = await this.withFd(async (fd) => {
      let buf = Buffer.allocUnsafe(Math.min(SCAN_CHUNK_BYTES, Math.max(limit, 1)));
      let filePos = 0;
      let expected = this.base;
      let newest = 0;
      let clean = true;
      let count = 0;
      const holes: Hole[] = [];
      while (filePos < limit) {
        const want = Math.min(buf.length, limit - filePos);
        const { bytesRead } = await fd.read(buf, 0, want, filePos);
        if (bytesRead === 0) {
          clean = false;
          break;
        }
        const base = filePos;
        const r = scanFrames(buf, 0, bytesRead, expected, (rec, frameStart) => {
          this.noteFrame(rec.offset, base + frameStart);
          expected = rec.offset + 1;
          count++;
          if (rec.timestamp > newest) newest = rec.timestamp;
          return true;
        });
        filePos += r.pos;
        if (r.stop === 'partial' && filePos + r.needBytes <= limit) {
          if (r.needBytes > buf.length) buf = Buffer.allocUnsafe(r.needBytes);
          continue;
        }
        if (r.stop === 'end') continue;
        // Corrupt, or a frame that runs past the limit: is there a valid frame further on?
        const next = await this.resync(fd, filePos, limit, expected);
        if (!next) {
          clean = false;
          break;
        }
        const hole = { start: filePos, end: next.pos, skippedRecords: next.offset - expected };
        holes.push(hole);
        this.holes.set(hole.start, hole.end);
        filePos = next.pos;
        expected = next.offset;
      }
      this.indexReady = Promise.resolve();
      this.nextOffset = expected;
      this.newestTimestamp = Math.max(this.newestTimestamp, newest);
      return { validEnd: filePos, clean, holes, records: count, nextOffset: expected, newestTimestamp: newest };
    });
    if (outcome.holes.length > 0) await this.onHoles?.(this, outcome.holes, outcome.records);
    return outcome;
  }

  /** The next valid frame after corrupt bytes at `from` (reads the rest of the segment once: rare). */
  private async resync(fd: FileHandle, from: number, limit: number, expected: number): Promise<{ pos: number; offset: number } | null> {
    const length = Math.min(limit - from, MAX_FRAME_BYTES);
    const rest = Buffer.allocUnsafe(length);
    const { bytesRead } = await fd.read(rest, 0, length, from);
    const found = findNextFrame(rest, 0, bytesRead, expected);
    return found ? { pos: from + found.pos, offset: found.offset } : null;
  }

  /** Copies `[start, end)` of the file (for the quarantine). */
  async bytes(start: number, end: number): Promise<Buffer> {
    return this.withFd(async (fd) => {
      const out = Buffer.allocUnsafe(end - start);
      const { bytesRead } = await fd.read(out, 0, out.length, start);
      return out.subarray(0, bytesRead);
    });
  }

  /**
   * Reads up to `maxRecords` records with offset >= `fromOffset`, starting the file read at
   * `hintPos` when the caller knows where `fromOffset` begins. Returns the records and the
   * position after the last one returned.
   */
  async read(fromOffset: number, hintPos: number | null, maxRecords: number): Promise<{ records: LogRecord[]; endPos: number }> {
    if (!this.indexReady) this.indexReady = this.scan(this.size).then(() => undefined);
    await this.indexReady;
    // For a sealed segment the scan leaves nextOffset at its last valid record, so a corrupt
    // middle is skipped (with a warning from the log) instead of failing every read.
    if (this.nextOffset !== null && fromOffset >= this.nextOffset) return { records: [], endPos: hintPos ?? this.size };
    const limit = this.size;
    let pos = hintPos ?? this.lookup(fromOffset);
    const records: LogRecord[] = [];
    if (pos >= limit) return { records, endPos: pos };
    return this.withFd(async (fd) => {
      let buf = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, limit - pos));
      while (pos < limit && records.length < maxRecords) {
        const want = Math.min(buf.length, limit - pos);
        const { bytesRead } = await fd.read(buf, 0, want, pos);
        if (bytesRead === 0) throw this.corrupt(pos, 'file is shorter than its recorded size');
        const r = scanFrames(buf, 0, bytesRead, null, (rec) => {
          if (rec.offset >= fromOffset) records.push(rec);
          return records.length < maxRecords;
        });
        pos += r.pos;
        const skipTo = this.holes.get(pos);
        if (skipTo !== undefined && r.stop !== 'end') {
          pos = skipTo; // a known hole: the scan found the next valid frame here
          continue;
        }
        if (r.stop === 'corrupt' || (r.stop === 'partial' && pos + r.needBytes > limit)) {
          if (records.length > 0) break;
          throw this.corrupt(pos, r.stop === 'corrupt' ? 'invalid frame' : 'frame runs past the end of the segment');
        }
        if (r.stop === 'partial') {
          if (r.needBytes > buf.length) buf = Buffer.allocUnsafe(r.needBytes);
        }
      }
      return { records, endPos: pos };
    });
  }

  /** Marks the segment deleted; its read handle closes once no read is using it. */
  async retire(): Promise<void> {
    this.deleted = true;
    if (this.busy === 0) await this.closeFd();
  }

  async close(): Promise<void> {
    await this.closeFd();
  }

  private lookup(offset: number): number {
    const offsets = this.indexOffsets;
    let lo = 0;
    let hi = offsets.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((offsets[mid] as number) <= offset) {
        found = this.indexPositions[mid] as number;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  private async withFd<R>(fn: (fd: FileHandle) => Promise<R>): Promise<R> {
    this.busy++;
    try {
      if (!this.fd) this.fd = open(this.path, 'r');
      return await fn(await this.fd);
    } finally {
      this.busy--;
      if (this.deleted && this.busy === 0) await this.closeFd();
    }
  }

  private async closeFd(): Promise<void> {
    const fd = this.fd;
    this.fd = null;
    if (fd) await (await fd.catch(() => null))?.close().catch(() => undefined);
  }

  private corrupt(pos: number, what: string): GanzhiError {
    return new GanzhiError('GANZHI_ERR_BUS_CORRUPT', `${this.path} at byte ${pos}: ${what}`);
  }
}
