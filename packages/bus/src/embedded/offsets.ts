import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Committed consumer-group positions of one log: one small file per group holding the next offset
 * to deliver, replaced atomically (temp file, optional sync, rename). A crash leaves either the old
 * or the new position, and either one is safe under at-least-once delivery.
 */
export class OffsetStore {
  private readonly dir: string;
  private readonly sync: boolean;
  private ready: Promise<unknown> | null = null;

  constructor(logDir: string, sync: 'fsync' | 'write') {
    this.dir = join(logDir, 'groups');
    this.sync = sync === 'fsync';
  }

  async read(group: string): Promise<number | null> {
    try {
      const text = await readFile(this.path(group), 'utf8');
      const n = Number(text.trim());
      return Number.isSafeInteger(n) && n >= 0 ? n : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Durably records `offset` as the next offset `group` will be given. One writer per group. */
  async commit(group: string, offset: number): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.ready;
    const target = this.path(group);
    const tmp = `${target}.tmp`;
    const fd = await open(tmp, 'w');
    try {
      await fd.writeFile(`${offset}\n`);
      if (this.sync) await fd.datasync();
    } finally {
      await fd.close();
    }
    await rename(tmp, target);
  }

  private path(group: string): string {
    return join(this.dir, `${encodeURIComponent(group)}.offset`);
  }
}

/**
 * Coalesces one group's commits: `note` records the handled position and commits it after at most
 * `intervalMs` (or at once when `eagerRecords` have piled up); `flush` commits what is noted now.
 * Commits run one at a time and never ahead of `note`, so a crash re-delivers at most what was
 * handled since the last durable commit (at-least-once; the stages are idempotent).
 */
export class CoalescingCommitter {
  private durable: number;
  private wanted: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly store: OffsetStore,
    private readonly group: string,
    from: number,
    private readonly intervalMs: number,
    private readonly eagerRecords: number,
    private readonly onError: (err: unknown) => void,
  ) {
    this.durable = from;
    this.wanted = from;
  }

  note(position: number): void {
    this.wanted = position;
    if (!this.running && (this.intervalMs <= 0 || position - this.durable >= this.eagerRecords)) {
      void this.flush().catch(this.onError);
      return;
    }
    // While a commit runs it picks up the new position; the timer is the fallback if it just ended.
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush().catch((err: unknown) => {
        this.onError(err);
        if (this.wanted > this.durable) this.note(this.wanted);
      });
    }, Math.max(this.intervalMs, 1));
  }

  /** Commits the noted position (if it is not already durable); resolves once it is. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    // A flush that finds one running waits for it, then commits whatever was noted meanwhile.
    const previous = this.running ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(async () => {
      while (this.durable < this.wanted) {
        const target = this.wanted;
        await this.store.commit(this.group, target);
        this.durable = target;
      }
    });
    this.running = next;
    void next.then(
      () => {
        if (this.running === next) this.running = null;
      },
      () => {
        if (this.running === next) this.running = null;
      },
    );
    return next;
  }
}
