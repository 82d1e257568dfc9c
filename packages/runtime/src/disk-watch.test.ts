import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '@ganzhi/log';
import { createDuckDbStore } from '@ganzhi/store';
import { buildDiskWatch, bytesOnDisk, judgeDisk } from './disk-watch';
import { buildStoreMaintenance } from './store-maintenance';

const GiB = 1024 ** 3;
const vol = (totalGiB: number, freeGiB: number) => ({ bsize: 4096, blocks: (totalGiB * GiB) / 4096, bavail: (freeGiB * GiB) / 4096 });

describe('judgeDisk', () => {
  it('warns at the configured use and refuses ingest only below the free-space floor', () => {
    const c = { warnPercent: 80, minFreeBytes: 2 * GiB };
    expect(judgeDisk(vol(100, 50), c)).toEqual({ usedPercent: 50, warn: false, ingestAllowed: true });
    expect(judgeDisk(vol(100, 20), c)).toEqual({ usedPercent: 80, warn: true, ingestAllowed: true });
    expect(judgeDisk(vol(100, 2), c)).toMatchObject({ warn: true, ingestAllowed: true });
    const full = judgeDisk(vol(100, 1), c);
    expect(full).toMatchObject({ usedPercent: 99, warn: true, ingestAllowed: false });
    expect(full.reason).toContain('GANZHI_DISK_MIN_FREE');
  });
});

describe('the disk watch', () => {
  it('sums bytes on disk per area, counts refusals, and counts a missing area as 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ganzhi-dw-'));
    try {
      await mkdir(join(dir, 'a', 'b'), { recursive: true });
      await writeFile(join(dir, 'a', 'b', 'f'), Buffer.alloc(64 * 1024, 1));
      expect(await bytesOnDisk(join(dir, 'a'))).toBeGreaterThanOrEqual(64 * 1024);
      let free = 10;
      const watch = buildDiskWatch(
        { dir, areas: { a: [join(dir, 'a')], none: [join(dir, 'missing')] }, warnPercent: 90, minFreeBytes: 5 * GiB, intervalMs: 60_000 },
        { logger: silentLogger(), statfs: async () => vol(100, free) },
      );
      await watch.start();
      expect(watch.ingestAllowed()).toBe(true);
      expect(watch.refusal()).toBeUndefined();
      free = 1;
      await watch.check();
      expect(watch.ingestAllowed()).toBe(false);
      expect(watch.reason()).toContain('below');
      expect(watch.refusal()).toMatchObject({ code: 'GANZHI_ERR_GW_DISK_FULL', retryable: true });
      const snap = watch.snapshot();
      expect(snap).toMatchObject({ ingestAllowed: false, warn: true, refused: 1, areas: { none: 0 } });
      expect(snap?.areas['a']).toBeGreaterThanOrEqual(64 * 1024);
      await watch.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the disk watch on its interval', () => {
  it('checks the free space every interval but walks the areas only every areasIntervalMs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ganzhi-dw-'));
    try {
      await mkdir(join(dir, 'a'), { recursive: true });
      let statfsCalls = 0;
      let free = 10;
      const watch = buildDiskWatch(
        { dir, areas: { a: [join(dir, 'a')] }, warnPercent: 90, minFreeBytes: 5 * GiB, intervalMs: 100, areasIntervalMs: 3_600_000 },
        {
          logger: silentLogger(),
          statfs: async () => {
            statfsCalls++;
            return vol(100, free);
          },
        },
      );
      await watch.start();
      const before = watch.snapshot()?.areas['a'] ?? -1;
      await writeFile(join(dir, 'a', 'f'), Buffer.alloc(256 * 1024, 1));
      free = 1;
      // The interval's checks see the volume fill up (the ingest floor) ...
      await expect.poll(() => watch.ingestAllowed(), { timeout: 10_000 }).toBe(false);
      expect(statfsCalls).toBeGreaterThan(1);
      // ... but keep the areas of the last walk: it is not due for an hour.
      expect(watch.snapshot()?.areas['a']).toBe(before);
      // A direct check walks them.
      await watch.check();
      expect(watch.snapshot()?.areas['a']).toBeGreaterThanOrEqual(before + 256 * 1024);
      await watch.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the disk watch of a data directory not made yet', () => {
  it('measures the volume of its nearest existing parent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ganzhi-dw-'));
    try {
      const watch = buildDiskWatch(
        { dir: join(dir, 'not', 'yet'), areas: { a: [join(dir, 'not', 'yet', 'a')] }, warnPercent: 90, minFreeBytes: 0, intervalMs: 60_000 },
        { logger: silentLogger() },
      );
      await watch.start();
      expect(watch.snapshot()).toMatchObject({ ingestAllowed: true, areas: { a: 0 } });
      expect(watch.snapshot()?.totalBytes).toBeGreaterThan(0);
      await watch.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('store maintenance', () => {
  it('runs the store lifecycle on demand with its own clock, one run at a time', async () => {
    const store = await createDuckDbStore({ path: ':memory:' });
    try {
      const m = buildStoreMaintenance({ cron: '' }, { store, logger: silentLogger(), now: () => 1_800_000_000_000 });
      await m.start();
      const [a, b] = [m.runOnce(), m.runOnce()];
      expect(a).toBe(b);
      expect((await a).rolledThrough['1m']).toBe(1_800_000_000_000 - (1_800_000_000_000 % 60_000));
      expect(m.stats()).toMatchObject({ runs: 1, failures: 0 });
      await m.close();
      await store.close();
      await expect(m.runOnce()).rejects.toMatchObject({ code: 'GANZHI_ERR_STORE_UNAVAILABLE' });
      expect(m.stats().failures).toBe(1);
    } finally {
      await store.close();
    }
  });
});
