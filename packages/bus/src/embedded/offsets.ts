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
    this.ready ??= mkdir(this.dir, { recursive: true });
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
