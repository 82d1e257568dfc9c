import { closeSync, fdatasync, openSync, writeSync } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@ganzhi/log';
import { fsyncDir } from './topic-log';

/** One consumer group's side of the checkpoint: what its loop calls. */
export interface Committer {
  /** The group has handled everything below `position`. */
  note(position: number): void;
  /** Commits what is noted now; resolves once it is durable. */
  flush(): Promise<void>;
}

export interface CheckpointOptions {
  /** The bus's data directory; the positions live in `<dir>/offsets.log`. */
  readonly dir: string;
  readonly sync: 'fsync' | 'write';
  /** Longest time a handled position stays uncommitted; 0 commits after every batch. */
  readonly intervalMs: number;
  /** Syncs every log written since the last checkpoint (called before positions are written). */
  readonly syncLogs: () => Promise<void>;
  readonly logger: Logger;
  /** Rewrite the file as a snapshot once it grows past this; default 1 MiB. */
  readonly compactBytes?: number;
  /** Position of a group with none in the file: the per-topic files of earlier versions. */
  readonly legacy?: (topic: string, group: string) => Promise<number | null>;
}

type Positions = Map<string, Map<string, number>>;

const FILE = 'offsets.log';

/**
 * The committed positions of every consumer group of one bus, in one append-only file: each
 * checkpoint appends one JSON line with the positions that moved (`{"topic":{"group":offset}}`)
 * and syncs it once, for all groups together, at most every `intervalMs` (or as soon as a group
 * has `eagerRecords` handled and uncommitted). Before writing, it syncs every log written since
 * the previous checkpoint, so a committed position never covers input whose outputs could still
 * be lost. A torn last line (a crash mid-write) is dropped on open; the file is rewritten as a
 * snapshot when it grows past `compactBytes`. A crash re-delivers at most what was handled since
 * the last checkpoint (at-least-once; the stages are idempotent).
 */
export class Checkpoints {
  private readonly wanted: Positions = new Map();
  private readonly durable: Positions;
  private readonly path: string;
  private fd: number;
  private bytes: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private pendingRecords = 0;
  private eagerRecords = Infinity;
  private closed = false;

  private constructor(
    private readonly o: CheckpointOptions,
    durable: Positions,
    bytes: number,
  ) {
    this.durable = durable;
    this.path = join(o.dir, FILE);
    this.fd = openSync(this.path, 'a');
    this.bytes = bytes;
  }

  static async open(o: CheckpointOptions): Promise<Checkpoints> {
    const path = join(o.dir, FILE);
    const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    const { positions, validBytes } = parseCheckpoints(text);
    const total = Buffer.byteLength(text);
    if (validBytes < total) {
      o.logger.warn({ file: path, droppedBytes: total - validBytes }, 'dropped a torn last line of the consumer positions');
      const fd = await open(path, 'r+');
      try {
        await fd.truncate(validBytes);
        await fd.datasync();
      } finally {
        await fd.close();
      }
    }
    return new Checkpoints(o, positions, validBytes);
  }

  /** The committed position of `group` on `topic`, or null when it has none. */
  async position(topic: string, group: string): Promise<number | null> {
    const p = this.wanted.get(topic)?.get(group) ?? this.durable.get(topic)?.get(group);
    if (p !== undefined) return p;
    return (await this.o.legacy?.(topic, group)) ?? null;
  }

  committer(topic: string, group: string, from: number, eagerRecords: number): Committer {
    this.eagerRecords = Math.min(this.eagerRecords, eagerRecords);
    let noted = from;
    return {
      note: (position) => {
        this.pendingRecords += Math.max(0, position - noted);
        noted = position;
        set(this.wanted, topic, group, position);
        this.schedule();
      },
      flush: () => this.flush(),
    };
  }

  /** Writes every noted position that is not durable yet; resolves once it is. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const previous = this.running ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.checkpoint());
    this.running = next;
    const done = () => {
      if (this.running === next) this.running = null;
    };
    next.then(done, done);
    return next;
  }

  async close(): Promise<void> {
    await this.flush().catch((err: unknown) => this.o.logger.error({ err }, 'last checkpoint failed'));
    this.closed = true;
    closeSync(this.fd);
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.o.intervalMs <= 0 || (!this.running && this.pendingRecords >= this.eagerRecords)) {
      void this.flush().catch(this.onError);
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush().catch(this.onError);
    }, this.o.intervalMs);
  }

  private readonly onError = (err: unknown): void => {
    this.o.logger.error({ err }, 'offset checkpoint failed; retrying');
    if (!this.closed) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        void this.flush().catch(this.onError);
      }, Math.max(this.o.intervalMs, 100));
    }
  };

  private async checkpoint(): Promise<void> {
    const moved: Record<string, Record<string, number>> = {};
    let any = false;
    for (const [topic, groups] of this.wanted) {
      for (const [group, position] of groups) {
        if (this.durable.get(topic)?.get(group) === position) continue;
        (moved[topic] ??= {})[group] = position;
        any = true;
      }
    }
    this.pendingRecords = 0;
    if (!any || this.closed) return;
    await this.o.syncLogs();
    const line = `${JSON.stringify(moved)}\n`;
    const buf = Buffer.from(line, 'utf8');
    let done = 0;
    while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done);
    if (this.o.sync === 'fsync') await datasync(this.fd);
    this.bytes += buf.length;
    for (const [topic, groups] of Object.entries(moved)) for (const [group, position] of Object.entries(groups)) set(this.durable, topic, group, position);
    if (this.bytes > (this.o.compactBytes ?? 1024 * 1024)) await this.compact();
  }

  /** Rewrites the file as one snapshot line (temp file, sync, rename, directory sync). */
  private async compact(): Promise<void> {
    const snapshot: Record<string, Record<string, number>> = {};
    for (const [topic, groups] of this.durable) snapshot[topic] = Object.fromEntries(groups);
    const line = `${JSON.stringify(snapshot)}\n`;
    const tmp = `${this.path}.tmp`;
    const out = await open(tmp, 'w');
    try {
      await out.writeFile(line);
      if (this.o.sync === 'fsync') await out.datasync();
    } finally {
      await out.close();
    }
    await rename(tmp, this.path);
    if (this.o.sync === 'fsync') await fsyncDir(this.o.dir);
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a');
    this.bytes = Buffer.byteLength(line);
  }
}

function set(p: Positions, topic: string, group: string, position: number): void {
  let groups = p.get(topic);
  if (!groups) p.set(topic, (groups = new Map()));
  groups.set(group, position);
}

function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

/** The positions in a checkpoint file's text, and how many of its bytes are whole valid lines (pure). */
export function parseCheckpoints(text: string): { positions: Positions; validBytes: number } {
  const positions: Positions = new Map();
  let validBytes = 0;
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    if (end < 0) break;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.slice(start, end));
    } catch {
      break;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) break;
    for (const [topic, groups] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof groups !== 'object' || groups === null) continue;
      for (const [group, position] of Object.entries(groups as Record<string, unknown>)) {
        if (typeof position === 'number' && Number.isSafeInteger(position) && position >= 0) set(positions, topic, group, position);
      }
    }
    validBytes += Buffer.byteLength(text.slice(start, end + 1));
    start = end + 1;
  }
  return { positions, validBytes };
}
