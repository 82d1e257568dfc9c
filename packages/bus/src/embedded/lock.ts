import { randomUUID } from 'node:crypto';
import { open, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GanzhiError } from '@ganzhi/schemas';

export interface DirLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims `dir` for this process with a LOCK file holding the pid. A lock left by a process that no
 * longer runs (a crash) is taken over; one held by a live other process is an error. A lock held
 * by this same process is taken over too (a bus abandoned without close, as in crash tests).
 */
export async function lockDir(dir: string): Promise<DirLock> {
  const path = join(dir, 'LOCK');
  const token = `${process.pid} ${randomUUID()}\n`;
  try {
    const fd = await open(path, 'wx');
    try {
      await fd.writeFile(token);
    } finally {
      await fd.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).split(' ')[0]);
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new GanzhiError('GANZHI_ERR_BUS_UNAVAILABLE', `data directory ${dir} is in use by process ${pid}`);
    }
    await writeFile(path, token);
  }
  return {
    async release(): Promise<void> {
      const current = await readFile(path, 'utf8').catch(() => null);
      if (current === token) await unlink(path).catch(() => undefined);
    },
  };
}
