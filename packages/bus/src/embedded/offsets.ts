import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Consumer positions as earlier versions kept them: one small file per group under
 * `topics/<topic>/groups/<group>.offset`. Read only, for groups that have no position in the
 * bus's checkpoint file yet (see `Checkpoints`); their next commit goes there.
 */
export class LegacyOffsets {
  private readonly dir: string;

  constructor(logDir: string) {
    this.dir = join(logDir, 'groups');
  }

  async read(group: string): Promise<number | null> {
    try {
      const text = await readFile(join(this.dir, `${encodeURIComponent(group)}.offset`), 'utf8');
      const n = Number(text.trim());
      return Number.isSafeInteger(n) && n >= 0 ? n : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }
}
