import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@ganzhi/log';
import { prepareRecord } from './frame';
import { TopicLog, type LogStats, type TopicLogOptions } from './topic-log';

const stats = (): LogStats => ({ publishCalls: 0, records: 0, writes: 0, fsyncs: 0, bytes: 0, segmentsDeleted: 0, tornBytesDropped: 0, corruptRegions: 0, recordsSkipped: 0, recordsKeptAfterCorruption: 0, quarantinedBytes: 0, recordsLostToRetention: 0 });

describe('a log buffered until its sync (readings, derived rule state)', () => {
  let dir: string;
  let log: TopicLog | undefined;
  const options = (extra: Partial<TopicLogOptions> = {}): TopicLogOptions => ({
    dir,
    name: 'derived',
    sync: 'fsync',
    deferSync: true,
    bufferUntilSync: true,
    segmentBytes: 64 * 1024 * 1024,
    retentionBytes: Infinity,
    retentionMs: Infinity,
    logger: createLogger({ level: 'silent' }),
    stats: stats(),
    tailRecords: 8,
    ...extra,
  });
  const fileBytes = async () => {
    let total = 0;
    for (const f of await readdir(dir)) if (f.endsWith('.log')) total += (await stat(join(dir, f))).size;
    return total;
  };
  const append = (from: number, n: number) => log!.append(Array.from({ length: n }, (_, i) => prepareRecord(`k${from + i}`, { n: from + i })), Date.now());
  const readAll = async (from = 0) => {
    const cursor = { offset: from, segmentBase: -1, pos: 0 };
    const out: number[] = [];
    for (;;) {
      const batch = await log!.read(cursor, 3);
      if (batch.length === 0) return out;
      for (const r of batch) out.push((JSON.parse(r.json) as { n: number }).n);
    }
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ganzhi-topic-log-'));
  });
  afterEach(async () => {
    await log?.close();
    log = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps appends in memory until its sync, which writes them in one call, readers seeing them at once', async () => {
    log = await TopicLog.open(options());
    const o = log;
    await append(0, 2);
    await append(2, 1);
    // Visible to a reader near the end (the tail), not yet in the file.
    expect(await readAll(0)).toEqual([0, 1, 2]);
    expect(await fileBytes()).toBe(0);
    expect(o.needsSync).toBe(true);
    await o.syncDirty();
    expect(await fileBytes()).toBe(o.sizeBytes);
    expect(o.needsSync).toBe(false);
  });

  it('writes them before a reader behind the tail reads the file, and once they pass half the tail', async () => {
    log = await TopicLog.open(options());
    await append(0, 3);
    expect(await fileBytes()).toBe(0);
    // More than half the tail (8 records) buffered: written without waiting for the sync.
    await append(3, 2);
    expect(await fileBytes()).toBe(log.sizeBytes);
    // The tail keeps the newest 8 to 16 records; a reader of offset 0 after 30 more goes to the file,
    // which must then hold everything up to the end, the newest appends included.
    for (let i = 5; i < 35; i++) await append(i, 1);
    expect(await readAll(0)).toEqual(Array.from({ length: 35 }, (_, i) => i));
  });

  it('after a close and reopen, holds every record that was appended', async () => {
    log = await TopicLog.open(options());
    await append(0, 3);
    await log.close();
    log = await TopicLog.open(options());
    expect(log.nextOffset).toBe(3);
    expect(await readAll(0)).toEqual([0, 1, 2]);
  });
});

describe('a deferSync log that is not buffered (signals, alert changes, the outbox)', () => {
  it('writes every append at once (a process crash keeps it), and only syncs later', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ganzhi-topic-log-'));
    const log = await TopicLog.open({ dir, name: 'written', sync: 'fsync', deferSync: true, segmentBytes: 1 << 20, retentionBytes: Infinity, retentionMs: Infinity, logger: createLogger({ level: 'silent' }), stats: stats(), tailRecords: 8 });
    try {
      await log.append([prepareRecord('k', { n: 1 })], Date.now());
      expect((await stat(join(dir, (await readdir(dir)).find((f) => f.endsWith('.log'))!))).size).toBe(log.sizeBytes);
      expect(log.needsSync).toBe(true);
    } finally {
      await log.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a tail that keeps only what its readers have yet to read', () => {
  let dir: string;
  let log: TopicLog | undefined;
  let readersAt = 0;
  const options = (extra: Partial<TopicLogOptions> = {}): TopicLogOptions => ({
    dir,
    name: 'trimmed',
    sync: 'fsync',
    segmentBytes: 64 * 1024 * 1024,
    retentionBytes: Infinity,
    retentionMs: Infinity,
    logger: createLogger({ level: 'silent' }),
    stats: stats(),
    tailRecords: 100,
    tailFrom: () => readersAt,
    ...extra,
  });
  const append = (from: number, n: number) => log!.append(Array.from({ length: n }, (_, i) => prepareRecord(`k${from + i}`, { n: from + i })), Date.now());
  const readAll = async (from = 0) => {
    const cursor = { offset: from, segmentBase: -1, pos: 0 };
    const out: number[] = [];
    for (;;) {
      const batch = await log!.read(cursor, 4);
      if (batch.length === 0) return out;
      for (const r of batch) out.push((JSON.parse(r.json) as { n: number }).n);
    }
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ganzhi-topic-log-'));
    readersAt = 0;
  });
  afterEach(async () => {
    await log?.close();
    log = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('drops, at each append, the records every reader has, and serves older ones from the file', async () => {
    log = await TopicLog.open(options());
    await append(0, 5);
    expect(log.tailLength).toBe(5);
    readersAt = 3;
    await append(5, 1);
    expect(log.tailLength).toBe(3); // offsets 3, 4, 5
    expect(await readAll(3)).toEqual([3, 4, 5]);
    readersAt = Infinity; // no reader (or all caught up)
    await append(6, 2);
    expect(log.tailLength).toBe(0);
    expect(await readAll(0)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Later appends go to the tail again for a reader at the end.
    readersAt = 8;
    await append(8, 2);
    expect(log.tailLength).toBe(2);
    expect(await readAll(8)).toEqual([8, 9]);
  });

  it('still bounds the tail by tailRecords when a reader lags', async () => {
    log = await TopicLog.open(options({ tailRecords: 4 }));
    for (let i = 0; i < 20; i++) await append(i, 1);
    expect(log.tailLength).toBeLessThanOrEqual(8);
    expect(await readAll(0)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('in a log buffered until its sync, records dropped from the tail before they reach the file are read from it all the same', async () => {
    log = await TopicLog.open(options({ deferSync: true, bufferUntilSync: true }));
    readersAt = Infinity;
    await append(0, 3);
    expect(log.tailLength).toBe(0);
    expect(log.sizeBytes).toBeGreaterThan(0);
    expect(await readAll(0)).toEqual([0, 1, 2]);
    await log.syncDirty();
    await log.close();
    log = await TopicLog.open(options({ deferSync: true, bufferUntilSync: true }));
    expect(await readAll(0)).toEqual([0, 1, 2]);
  });
});
