import { writeSync } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@ganzhi/log';
import { GanzhiError } from '@ganzhi/schemas';
import { frameBytes, writeFrame, type LogRecord, type PreparedRecord } from './frame';
import { Segment, parseSegmentFileName, segmentFileName, type Hole } from './segment';
import { RateGatedLinger } from '../rate-window';

/** Counters shared by every log of one bus (see `EmbeddedBus.stats`). */
export interface LogStats {
  publishCalls: number;
  records: number;
  writes: number;
  fsyncs: number;
  bytes: number;
  segmentsDeleted: number;
  tornBytesDropped: number;
  /** Corrupt regions found in the middle of segments (skipped; their bytes quarantined). */
  corruptRegions: number;
  /** Records lost in those regions (offsets no valid frame carries). */
  recordsSkipped: number;
  /** Valid records kept in segments that had corrupt regions. */
  recordsKeptAfterCorruption: number;
  quarantinedBytes: number;
  /** Records deleted by retention before a consumer group had read them: data that group lost. */
  recordsLostToRetention: number;
}

export interface TopicLogOptions {
  /** This log's own directory. */
  readonly dir: string;
  readonly name: string;
  readonly sync: 'fsync' | 'write';
  readonly segmentBytes: number;
  /** Bytes kept before whole old segments are deleted; Infinity keeps everything. */
  readonly retentionBytes: number;
  /** Age after which a sealed segment is deleted; Infinity keeps everything. */
  readonly retentionMs: number;
  readonly logger: Logger;
  readonly stats: LogStats;
  /**
   * With sync 'fsync': appends resolve once written (visible to readers, safe from a process
   * crash) and the file is synced by `syncDirty()`, which the bus's checkpoint calls before it
   * commits any consumer position. For what stages derive from other records (readings, signals,
   * alert changes, stage state): after a power loss they are derived again from input whose
   * position was never committed. Default false: every append resolves after its fdatasync.
   */
  readonly deferSync?: boolean;
  /**
   * With deferSync: appends are kept in memory (readers find them in the tail) until `syncDirty`
   * writes them in one call, or a reader behind the tail needs the file, or they pass half the tail
   * or 1 MiB. A process crash then loses them like a power loss does: only for what can be derived
   * again from input after the last checkpoint and whose loss nothing downstream can notice.
   */
  readonly bufferUntilSync?: boolean;
  /** Most recent records kept in memory for readers close to the end (no file read). Default 8192. */
  readonly tailRecords?: number;
  /**
   * The lowest offset an in-process reader may still want from memory (the lowest position of
   * the consumers reading this log; Infinity when none does): each append drops the tail's records
   * below it, so that a record lives only until its readers have it, not until `tailRecords` newer
   * ones pushed it out (seconds at a city's rates: long enough to be promoted to V8's old space,
   * whose collections then stall the event loop). A reader behind the tail reads the file.
   * Default: keep `tailRecords`.
   */
  readonly tailFrom?: () => number;
  /** Called before every fdatasync of this log (fault injection: a test holds the disk back). */
  readonly beforeSync?: (log: string) => Promise<void> | void;
  /**
   * Group-commit window of a log synced per append (not `deferSync`): the first append waits this
   * long for others to join its write and fdatasync (appends arriving while a sync is in progress
   * join the next one without waiting). Bounds the extra latency of every append (a PUBACK); buys
   * batches along the whole pipeline at moderate rates. Default 0: what arrives in the same tick.
   */
  readonly lingerMs?: number;
  /**
   * Appends per second (in the previous second) from which the window is used; below it an
   * append is written at once, since a window that nobody joins only adds latency. Default: the
   * rate at which half an append is expected within the window (500 / lingerMs: 50/s for 10 ms).
   */
  readonly lingerFromRate?: number;
}

/** A consumer's position: the next offset to read and, as a hint, where it starts on disk. */
export interface ReadCursor {
  offset: number;
  segmentBase: number;
  pos: number;
}

interface PendingAppend {
  readonly records: readonly PreparedRecord[];
  readonly bytes: number;
  readonly timestamp: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** A deferSync log writes its buffered frames once they pass this many bytes. */
const UNWRITTEN_MAX_BYTES = 1024 * 1024;

/** One group-commit write holds at most this many bytes (a single call is never split). */
const MAX_WRITE_BYTES = 8 * 1024 * 1024;

/**
 * A log encodes its frames into a buffer it keeps and reuses (written synchronously, so free
 * again at once) while they fit in this many bytes; a larger batch gets a buffer of its own.
 */
const SCRATCH_MAX_BYTES = 256 * 1024;

const EMPTY = Buffer.alloc(0);

/**
 * A durable append-only log: segment files named by base offset, one writer with group commit
 * (concurrent appends coalesced into one write and one fdatasync), readers that only ever see
 * durable records.
 */
export class TopicLog {
  readonly name: string;
  private readonly opts: TopicLogOptions;
  private segments: Segment[];
  private active: Segment;
  private fd: FileHandle;
  private next: number;
  private pending: PendingAppend[] = [];
  private flushing = false;
  private idle: (() => void)[] = [];
  private waiters = new Set<() => void>();
  private closing = false;
  private failed: GanzhiError | null = null;
  private retention: Promise<number> = Promise.resolve(0);
  /** Written but not yet synced (deferSync only). */
  private dirty = false;
  /**
   * Frames of a deferSync log not yet written to the file (they are in the tail, where readers
   * find them): written in one call by the next sync, or before any file read, or once they pass
   * half the tail or UNWRITTEN_MAX_BYTES. `writtenEnd` is where they go in the active segment.
   * They are the first `unwrittenBytes` bytes of this buffer, which is kept and reused.
   */
  private unwritten: Buffer = EMPTY;
  private unwrittenBytes = 0;
  private unwrittenRecords = 0;
  /** Reused for the frames of each write (see SCRATCH_MAX_BYTES). */
  private scratch: Buffer = EMPTY;
  private writtenEnd = 0;
  /** Syncs and file switches (roll, compaction), one at a time (see `exclusive`). */
  private syncing: Promise<void> = Promise.resolve();
  /** The newest visible records, `tail[i]` at offset `tailStart + i`. */
  private tail: LogRecord[] = [];
  private tailStart = 0;
  private readonly tailCap: number;
  /** The group-commit window, counting appends (none for a deferSync log, which is not synced per append). */
  private readonly linger: RateGatedLinger;
  /** Appends are kept in memory until the sync (`bufferUntilSync`, with fsync and a tail). */
  private readonly bufferWrites: boolean;

  private constructor(opts: TopicLogOptions, segments: Segment[], fd: FileHandle) {
    this.opts = opts;
    this.name = opts.name;
    this.segments = segments;
    this.active = segments[segments.length - 1] as Segment;
    this.writtenEnd = this.active.size;
    this.fd = fd;
    this.next = this.active.nextOffset as number;
    this.tailStart = this.next;
    this.tailCap = opts.tailRecords ?? 8192;
    this.linger = new RateGatedLinger(opts.deferSync ? 0 : (opts.lingerMs ?? 0), opts.lingerFromRate);
    this.bufferWrites = opts.sync === 'fsync' && opts.deferSync === true && opts.bufferUntilSync === true && this.tailCap > 0;
  }

  /** Opens (or creates) the log, truncating a torn or corrupt tail of the last segment. */
  static async open(opts: TopicLogOptions): Promise<TopicLog> {
    await mkdir(opts.dir, { recursive: true, mode: 0o700 });
    const bases: number[] = [];
    for (const entry of await readdir(opts.dir)) {
      if (entry.endsWith('.tmp')) await unlink(join(opts.dir, entry));
      const base = parseSegmentFileName(entry);
      if (base !== null) bases.push(base);
    }
    bases.sort((a, b) => a - b);
    if (bases.length === 0) {
      await (await open(join(opts.dir, segmentFileName(0)), 'wx')).close();
      if (opts.sync === 'fsync') await fsyncDir(opts.dir);
      bases.push(0);
    }
    const segments: Segment[] = [];
    const onHoles = quarantine(opts);
    for (const [i, base] of bases.entries()) {
      const size = (await stat(join(opts.dir, segmentFileName(base)))).size;
      const seg = new Segment(opts.dir, base, size, false);
      seg.onHoles = onHoles;
      const nextBase = bases[i + 1];
      if (nextBase !== undefined) seg.nextOffset = nextBase;
      segments.push(seg);
    }
    const last = segments[segments.length - 1] as Segment;
    const fileSize = last.size;
    const scanned = await last.scan(fileSize);
    const fd = await open(last.path, 'r+');
    if (!scanned.clean) {
      await fd.truncate(scanned.validEnd);
      await fd.datasync();
      const dropped = fileSize - scanned.validEnd;
      opts.stats.tornBytesDropped += dropped;
      opts.logger.warn(
        { log: opts.name, segment: last.path, droppedBytes: dropped, keptBytes: scanned.validEnd },
        'truncated a torn or corrupt tail of the last log segment',
      );
    }
    last.size = scanned.validEnd;
    const log = new TopicLog(opts, segments, fd);
    // Sealed segments are checked after start-up, not before it (a read scans one first if it
    // gets there sooner): a corrupt region is then reported and quarantined like the last one's.
    void log.verifySealed();
    return log;
  }

  private async verifySealed(): Promise<void> {
    for (const seg of this.segments.slice(0, -1)) {
      if (this.closing) return;
      try {
        await seg.read(seg.base, 0, 1);
      } catch (err) {
        this.opts.logger.error({ log: this.name, segment: seg.path, err }, 'checking a sealed segment failed');
      }
    }
  }

  /** A consumer group found its position deleted by retention: `records` it will never read. */
  noteRetentionLoss(records: number): void {
    this.opts.stats.recordsLostToRetention += records;
  }

  /** Offset the next appended record will get (every record below it is durable). */
  get nextOffset(): number {
    return this.next;
  }

  /** Oldest retained offset. */
  get earliestOffset(): number {
    return (this.segments[0] as Segment).base;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  get sizeBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  /** Appends records; resolves once they are durable. Concurrent calls share one write and sync. */
  append(records: readonly PreparedRecord[], timestamp: number): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closing) return Promise.reject(new GanzhiError('GANZHI_ERR_BUS_CLOSED', `log ${this.name} is closing`));
    return new Promise<void>((resolve, reject) => {
      let bytes = 0;
      for (const r of records) bytes += frameBytes(r);
      this.pending.push({ records, bytes, timestamp, resolve, reject });
      this.linger.count();
      if (!this.flushing) {
        this.flushing = true;
        // At least a microtask, so that every append made in the current tick joins the first write.
        const linger = this.linger.ms;
        if (linger > 0) setTimeout(() => void this.flushLoop(), linger);
        // (a resolved promise's job rather than queueMicrotask, which makes an AsyncResource per call)
        else void Promise.resolve().then(() => this.flushLoop());
      }
    });
  }

  /** Records kept in memory for readers near the end (see `tailFrom`). */
  get tailLength(): number {
    return this.tail.length;
  }

  /** Reads up to `max` durable records at the cursor and advances it past them. */
  async read(cursor: ReadCursor, max: number): Promise<LogRecord[]> {
    if (cursor.offset >= this.tailStart && cursor.offset < this.next) {
      const from = cursor.offset - this.tailStart;
      const records = this.tail.slice(from, from + max);
      cursor.offset += records.length;
      // No file position: a later read from the file finds it through the segment's index.
      cursor.segmentBase = -1;
      return records;
    }
    if (cursor.offset >= this.next) return [];
    // A reader behind the tail reads the file: with every record in it.
    this.writeUnwritten();
    for (let attempts = 0; attempts < this.segments.length + 1; attempts++) {
      if (cursor.offset >= this.next) return [];
      const i = this.segmentIndexOf(cursor.offset);
      const seg = this.segments[i];
      if (!seg) return [];
      const hint = cursor.segmentBase === seg.base ? cursor.pos : null;
      const { records, endPos } = await seg.read(cursor.offset, hint, max);
      const last = records[records.length - 1];
      if (last) {
        cursor.offset = last.offset + 1;
        cursor.segmentBase = seg.base;
        cursor.pos = endPos;
        return records;
      }
      const following = this.segments[i + 1];
      if (!following) return [];
      if (cursor.offset < following.base) {
        this.opts.logger.warn({ log: this.name, from: cursor.offset, to: following.base }, 'skipping offsets missing from a segment');
      }
      cursor.offset = following.base;
      cursor.segmentBase = following.base;
      cursor.pos = 0;
    }
    return [];
  }

  /** Resolves when a record at or after `offset` is durable, on abort, or after `timeoutMs`. */
  waitForAppend(offset: number, signal: AbortSignal, timeoutMs: number): Promise<void> {
    if (this.next > offset || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const aborted = abortWaiters(signal);
      const done = (): void => {
        clearTimeout(timer);
        aborted.delete(done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      aborted.add(done);
      this.waiters.add(done);
    });
  }

  /** Deletes whole sealed segments beyond the size or age limit. Resolves with how many it deleted. */
  enforceRetention(now = Date.now()): Promise<number> {
    const { retentionBytes, retentionMs } = this.opts;
    if (retentionBytes === Infinity && retentionMs === Infinity) return Promise.resolve(0);
    // One pass at a time: a pass decides from the head of the segment list, then removes it.
    const pass = this.retention.then(() => this.retain(now));
    this.retention = pass.catch(() => 0);
    return pass;
  }

  private async retain(now: number): Promise<number> {
    const { retentionBytes, retentionMs } = this.opts;
    const sealed = this.segments.slice(0, -1);
    const newest = new Map<Segment, number>();
    for (const seg of sealed) {
      newest.set(seg, seg.newestTimestamp || (await stat(seg.path).then((s) => s.mtimeMs, () => 0)));
    }
    let total = this.sizeBytes;
    let count = 0;
    for (const seg of sealed) {
      if (total <= retentionBytes && now - (newest.get(seg) ?? now) <= retentionMs) break;
      total -= seg.size;
      count++;
    }
    if (count === 0) return 0;
    const victims = this.segments.splice(0, count);
    for (const seg of victims) {
      await seg.retire();
      await unlink(seg.path).catch(() => undefined);
    }
    if (this.opts.sync === 'fsync') await fsyncDir(this.opts.dir);
    this.opts.stats.segmentsDeleted += count;
    this.opts.logger.info({ log: this.name, segments: count, earliestOffset: this.earliestOffset }, 'retention deleted old segments');
    return count;
  }

  /**
   * Replaces the whole log by `records` (given offsets from the current next offset on), written
   * into a fresh segment atomically (temp file, sync, rename). The caller makes no appends until
   * it resolves; a write still finishing is waited for.
   */
  async compact(records: readonly PreparedRecord[], timestamp: number): Promise<void> {
    if (this.flushing) await new Promise<void>((resolve) => this.idle.push(resolve));
    if (this.pending.length > 0) throw new Error(`log ${this.name}: compact while appending`);
    // The old segments stay readable until the rename: with everything appended in them.
    this.writeUnwritten();
    const base = this.next;
    const seg = new Segment(this.opts.dir, base, 0, true);
    seg.onHoles = quarantine(this.opts);
    const tmp = `${seg.path}.tmp`;
    const buf = this.encode([{ records, bytes: 0, timestamp, resolve: noop, reject: noop }], base, seg, 0);
    const out = await open(tmp, 'w');
    try {
      await writeAll(out, buf, 0);
      await out.datasync();
    } finally {
      await out.close();
    }
    await this.exclusive(async () => {
      await this.fd.close();
      await rename(tmp, seg.path);
      await fsyncDir(this.opts.dir);
      // A previous empty active segment with the same base was replaced by the rename: close it too.
      for (const s of this.segments) await s.close();
      const old = this.segments.filter((s) => s.base !== base);
      for (const s of old) await unlink(s.path);
      if (old.length) await fsyncDir(this.opts.dir);
      seg.size = buf.length;
      seg.nextOffset = base + records.length;
      seg.newestTimestamp = timestamp;
      this.segments = [seg];
      this.active = seg;
      this.next = seg.nextOffset;
      this.tail = [];
      this.tailStart = this.next;
      this.fd = await open(seg.path, 'r+');
      this.writtenEnd = buf.length;
      // Everything live is in the new segment, synced before the rename.
      this.dirty = false;
    });
  }

  /** Whether appends were written since the last sync (deferSync logs). */
  get needsSync(): boolean {
    return this.dirty;
  }

  /**
   * Makes every append written so far durable (deferSync logs; otherwise, or when nothing was
   * written since, it only waits for a sync or file switch in progress). A failed sync fails the
   * log: its page cache can no longer be trusted.
   */
  syncDirty(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    return this.exclusive(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        this.writeUnwritten();
        await this.opts.beforeSync?.(this.name);
        await this.fd.datasync();
        this.opts.stats.fsyncs++;
      } catch (err) {
        this.failed = new GanzhiError('GANZHI_ERR_BUS_UNAVAILABLE', `append to ${this.name} failed (sync)`, { cause: err });
        this.opts.logger.error({ log: this.name, err }, 'log sync failed');
        throw this.failed;
      }
    });
  }

  /** Runs `fn` after every sync and file switch before it, and before those after it (they use `this.fd`). */
  private exclusive<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.syncing.then(fn);
    this.syncing = run.then(noop, noop);
    return run;
  }

  /** Stops accepting appends, writes what is pending, and closes the files. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.flushing) await new Promise<void>((resolve) => this.idle.push(resolve));
    await this.syncDirty().catch(() => undefined);
    await this.retention;
    for (const w of [...this.waiters]) w();
    await this.fd.close().catch(() => undefined);
    for (const s of this.segments) await s.close();
  }

  private segmentIndexOf(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.segments[mid] as Segment).base <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      let take = 0;
      let bytes = 0;
      while (take < this.pending.length && (take === 0 || bytes < MAX_WRITE_BYTES)) {
        bytes += (this.pending[take] as PendingAppend).bytes;
        take++;
      }
      const batch = take === this.pending.length ? this.pending : this.pending.slice(0, take);
      this.pending = take === this.pending.length ? [] : this.pending.slice(take);
      await this.writeBatch(batch, bytes);
    }
    this.flushing = false;
    const idle = this.idle;
    this.idle = [];
    for (const resolve of idle) resolve();
  }

  private async writeBatch(batch: PendingAppend[], bytes: number): Promise<void> {
    const { stats, sync } = this.opts;
    let stage = 'roll';
    try {
      if (this.failed) throw this.failed;
      if (this.active.size > 0 && this.active.size + bytes > this.opts.segmentBytes) await this.roll();
      const start = this.active.size;
      const first = this.next;
      stage = 'write';
      let written: number;
      if (this.bufferWrites) {
        // Synced only by the next checkpoint anyway: written then too, in one call (readers find
        // the records in the tail meanwhile). Encoded straight after the frames buffered before.
        if (this.unwritten.length < this.unwrittenBytes + bytes) {
          const grown = Buffer.allocUnsafe(Math.max(2 * this.unwritten.length, this.unwrittenBytes + bytes, 64 * 1024));
          this.unwritten.copy(grown, 0, 0, this.unwrittenBytes);
          this.unwritten = grown;
        }
        written = this.encodeInto(this.unwritten, this.unwrittenBytes, batch, first);
        this.unwrittenBytes += written;
        for (const call of batch) this.unwrittenRecords += call.records.length;
        // Bounded: they must stay within the tail (and memory).
        if (this.unwrittenRecords > this.tailCap / 2 || this.unwrittenBytes > UNWRITTEN_MAX_BYTES) this.writeUnwritten();
      } else {
        // One synchronous write: a few microseconds into the page cache, cheaper than a round trip
        // through libuv's thread pool; only the fdatasync (milliseconds, mostly waiting) goes there.
        // Synchronous, so the scratch buffer is free again when it returns.
        if (bytes > SCRATCH_MAX_BYTES) this.scratch = EMPTY;
        else if (this.scratch.length < bytes) this.scratch = Buffer.allocUnsafe(Math.min(SCRATCH_MAX_BYTES, Math.max(bytes, 2 * this.scratch.length, 16 * 1024)));
        const buf = bytes > SCRATCH_MAX_BYTES ? Buffer.allocUnsafe(bytes) : this.scratch;
        written = this.encodeInto(buf, 0, batch, first);
        writeAllSync(this.fd.fd, buf.subarray(0, written), start);
        this.writtenEnd = start + written;
        stats.writes++;
      }
      if (sync === 'fsync') {
        if (this.opts.deferSync) this.dirty = true;
        else {
          stage = 'sync';
          await this.opts.beforeSync?.(this.name);
          await this.fd.datasync();
          stats.fsyncs++;
        }
      }
      // Durable: make it visible.
      let count = 0;
      let newest = 0;
      for (const call of batch) {
        count += call.records.length;
        if (call.timestamp > newest) newest = call.timestamp;
      }
      this.indexBatch(batch, first, start);
      this.remember(batch, first);
      this.active.size = start + written;
      this.next = first + count;
      this.active.nextOffset = this.next;
      if (newest > this.active.newestTimestamp) this.active.newestTimestamp = newest;
      stats.publishCalls += batch.length;
      stats.records += count;
      stats.bytes += written;
    } catch (err) {
      const failure = new GanzhiError('GANZHI_ERR_BUS_UNAVAILABLE', `append to ${this.name} failed (${stage})`, { cause: err });
      // After a failed sync the page cache cannot be trusted; after a failed write, cut it off.
      if (stage === 'write') await this.fd.truncate(this.active.size).catch(() => (this.failed = failure));
      else this.failed = failure;
      this.opts.logger.error({ log: this.name, err }, 'log append failed');
      for (const call of batch) call.reject(failure);
      return;
    }
    for (const call of batch) call.resolve();
    for (const w of [...this.waiters]) w();
  }

  /** Writes the buffered frames of a deferSync log to the active segment, in one call. */
  private writeUnwritten(): void {
    if (this.unwrittenBytes === 0) return;
    const buf = this.unwritten.subarray(0, this.unwrittenBytes);
    this.unwrittenBytes = 0;
    this.unwrittenRecords = 0;
    // The buffer is kept for the next frames (it was grown to what a checkpoint interval holds).
    try {
      writeAllSync(this.fd.fd, buf, this.writtenEnd);
    } catch (err) {
      // Records already visible (and handled downstream) are not in the file: nothing after them
      // may be, and no checkpoint may cover them. The log fails; a restart derives them again.
      this.failed = new GanzhiError('GANZHI_ERR_BUS_UNAVAILABLE', `append to ${this.name} failed (write)`, { cause: err });
      this.opts.logger.error({ log: this.name, err }, 'log write failed');
      throw this.failed;
    }
    this.writtenEnd += buf.length;
    this.opts.stats.writes++;
  }

  /** Encodes the batch's frames into `buf` from `at`; returns the bytes written. */
  private encodeInto(buf: Buffer, at: number, batch: readonly PendingAppend[], firstOffset: number): number {
    let pos = at;
    let offset = firstOffset;
    for (const call of batch) {
      for (const r of call.records) pos = writeFrame(buf, pos, offset++, call.timestamp, r);
    }
    return pos - at;
  }

  private encode(batch: readonly PendingAppend[], firstOffset: number, index: Segment | null, filePos: number): Buffer {
    let total = 0;
    for (const call of batch) for (const r of call.records) total += frameBytes(r);
    const buf = Buffer.allocUnsafe(total);
    let pos = 0;
    let offset = firstOffset;
    for (const call of batch) {
      for (const r of call.records) {
        index?.noteFrame(offset, filePos + pos);
        pos = writeFrame(buf, pos, offset++, call.timestamp, r);
      }
    }
    return buf;
  }

  /** Keeps the batch's records in the tail (the strings are the ones just framed). */
  private remember(batch: readonly PendingAppend[], firstOffset: number): void {
    if (this.tailCap <= 0) return;
    if (firstOffset !== this.tailStart + this.tail.length) {
      this.tail = [];
      this.tailStart = firstOffset;
    }
    let offset = firstOffset;
    for (const call of batch) {
      for (const r of call.records) this.tail.push({ offset: offset++, timestamp: call.timestamp, key: r.key, json: r.json });
    }
    const end = this.tailStart + this.tail.length;
    const wanted = this.opts.tailFrom ? Math.min(this.opts.tailFrom(), end) : -Infinity;
    if (wanted >= end) {
      // Every reader has it all (the usual case for a consumer keeping up): nothing to keep.
      this.tail.length = 0;
      this.tailStart = end;
    } else if (wanted > this.tailStart) {
      const drop = wanted - this.tailStart;
      this.tail.splice(0, drop);
      this.tailStart += drop;
    }
    if (this.tail.length > 2 * this.tailCap) {
      const drop = this.tail.length - this.tailCap;
      this.tail = this.tail.slice(drop);
      this.tailStart += drop;
    }
  }

  private indexBatch(batch: readonly PendingAppend[], firstOffset: number, filePos: number): void {
    let pos = filePos;
    let offset = firstOffset;
    for (const call of batch) {
      for (const r of call.records) {
        this.active.noteFrame(offset++, pos);
        pos += frameBytes(r);
      }
    }
  }

  private async roll(): Promise<void> {
    // A deferred log's sealed segment is synced before its handle goes.
    await this.syncDirty();
    const seg = new Segment(this.opts.dir, this.next, 0, true);
    seg.onHoles = quarantine(this.opts);
    await this.exclusive(async () => {
      await this.fd.close();
      this.fd = await open(seg.path, 'wx');
      this.writtenEnd = 0;
    });
    if (this.opts.sync === 'fsync') await fsyncDir(this.opts.dir);
    this.segments.push(seg);
    this.active = seg;
    void this.enforceRetention().catch((err: unknown) => this.opts.logger.error({ log: this.name, err }, 'retention failed'));
  }
}

function noop(): void {}

const waitersBySignal = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * The waits to end when `signal` aborts: one listener per signal (a consumer loop's), not one
 * added and removed per wait (an EventTarget listener costs more than the wait's own work).
 */
function abortWaiters(signal: AbortSignal): Set<() => void> {
  let set = waitersBySignal.get(signal);
  if (!set) {
    const waits = new Set<() => void>();
    signal.addEventListener('abort', () => {
      for (const done of [...waits]) done();
    }, { once: true });
    waitersBySignal.set(signal, (set = waits));
  }
  return set;
}

function writeAllSync(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

async function writeAll(fd: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fd.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/**
 * What happens to corrupt regions found in a segment: their bytes are copied to
 * `<log dir>/quarantine/<segment base>-<position>.bin` (for forensics; never read back), the
 * counts go to the bus stats, and an error is logged with what was skipped and what was kept.
 */
function quarantine(opts: TopicLogOptions): (segment: Segment, holes: readonly Hole[], kept: number) => Promise<void> {
  return async (segment, holes, kept) => {
    const dir = join(opts.dir, 'quarantine');
    await mkdir(dir, { recursive: true });
    let bytes = 0;
    let skipped = 0;
    const files: string[] = [];
    for (const h of holes) {
      const file = join(dir, `${String(segment.base).padStart(20, '0')}-${h.start}.bin`);
      await writeFile(file, await segment.bytes(h.start, h.end));
      files.push(file);
      bytes += h.end - h.start;
      skipped += h.skippedRecords;
    }
    opts.stats.corruptRegions += holes.length;
    opts.stats.recordsSkipped += skipped;
    opts.stats.recordsKeptAfterCorruption += kept;
    opts.stats.quarantinedBytes += bytes;
    opts.logger.error(
      { code: 'GANZHI_ERR_BUS_CORRUPT', log: opts.name, segment: segment.path, corruptRegions: holes.length, skippedRecords: skipped, keptRecords: kept, quarantinedBytes: bytes, quarantine: files },
      'corrupt bytes in the middle of a log segment: skipped and quarantined; every valid record after them is kept',
    );
  };
}
