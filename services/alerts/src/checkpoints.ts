import { open, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AuditCheckpointSchema, type AuditCheckpoint } from '@ganzhi/schemas';

/**
 * The append-only checkpoint file (`<data>/audit/checkpoints.ndjson`, 0600 in a 0700 directory):
 * one signed checkpoint per line, each chained to the previous one by `prevMac`. Every append is
 * fsynced before the heads are published, so the file never trails the bus.
 */
export interface CheckpointFile {
  /** The mac of the last checkpoint in the file (the next one chains to it). */
  lastMac(): string | undefined;
  append(c: AuditCheckpoint): Promise<void>;
}

export async function openCheckpointFile(path: string): Promise<CheckpointFile> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let last: string | undefined;
  try {
    const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
    const tail = lines[lines.length - 1];
    if (tail) last = AuditCheckpointSchema.parse(JSON.parse(tail)).mac;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return {
    lastMac: () => last,
    async append(c) {
      const fh = await open(path, 'a', 0o600);
      try {
        await fh.appendFile(`${JSON.stringify(c)}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      last = c.mac;
    },
  };
}
