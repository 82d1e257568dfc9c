import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '@ganzhi/log';
import type { Reading } from '@ganzhi/schemas';
import type { Bus, Delivery } from '../bus';
import { runBusContract } from '../contract';
import { Collector, reading, seqOf } from '../contract-kit';
import { createEmbeddedBus, type EmbeddedBusOptions } from './embedded-bus';
import { prepareRecord, writeFrame, frameBytes } from './frame';
import { segmentFileName } from './segment';

const READINGS = 'ganzhi.readings.v1';
const fast = { retry: { initialMs: 10, maxMs: 100 } } as const;

const contractDirs: string[] = [];
const dirOf = new WeakMap<Bus, string>();
let groups = 0;
runBusContract('embedded bus (contract)', {
  async open() {
    const dir = await mkdtemp(join(tmpdir(), 'ganzhi-bus-contract-'));
    contractDirs.push(dir);
    const bus = await createEmbeddedBus({ dir, ...fast });
    dirOf.set(bus, dir);
    return bus;
  },
  async reopen(previous) {
    const dir = dirOf.get(previous) as string;
    await previous.close();
    const bus = await createEmbeddedBus({ dir, ...fast });
    dirOf.set(bus, dir);
    return bus;
  },
  async cleanup() {
    for (const dir of contractDirs) await rm(dir, { recursive: true, force: true });
  },
  uniqueGroup: (prefix) => `${prefix}-${++groups}`,
  checksSchemas: false,
});

/** A logger whose records the test can read back. */
function capturingLogger(): { logger: Logger; records: { msg: string; [k: string]: unknown }[] } {
  const records: { msg: string; [k: string]: unknown }[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void records.push(JSON.parse(line)) } });
  return { logger, records };
}

describe('embedded bus', () => {
  let dir: string;
  const open: Bus[] = [];
  const openBus = async (options: Partial<EmbeddedBusOptions> = {}) => {
    const bus = await createEmbeddedBus({ dir, ...fast, ...options });
    open.push(bus);
    return bus;
  };
  const readingsDir = () => join(dir, 'topics', READINGS);
  const segments = async () => (await readdir(readingsDir())).filter((f) => f.endsWith('.log')).sort();
  const values = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ key: 'dev-a', value: reading('t', 'dev-a', from + i) }));

  async function consume(bus: Bus, group: string, count: number, maxBatch?: number): Promise<Delivery<Reading>[]> {
    const got = new Collector<Delivery<Reading>>();
    const sizes: number[] = [];
    const sub = await bus.subscribe(group, { [READINGS]: async (batch: readonly Delivery<Reading>[]) => {
      sizes.push(batch.length);
      got.push(...batch);
    } }, maxBatch ? { maxBatch } : {});
    try {
      await got.count(count, 'readings');
    } finally {
      await sub.close();
    }
    if (maxBatch) expect(Math.max(...sizes)).toBeLessThanOrEqual(maxBatch);
    return got.items;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ganzhi-bus-embedded-'));
  });
  afterEach(async () => {
    for (const bus of open.splice(0)) await bus.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("lets publishes of later ticks join the first publish's write and fdatasync within the linger (and not without it)", async () => {
    const RAW = 'ganzhi.raw.v1';
    const twoTicks = async (bus: Awaited<ReturnType<typeof createEmbeddedBus>>) => {
      const before = bus.stats();
      const first = bus.publish(RAW, [{ key: 'dev-a', value: { n: 1 } } as never]);
      await new Promise((resolve) => setImmediate(resolve));
      await Promise.all([first, bus.publish(RAW, [{ key: 'dev-b', value: { n: 2 } } as never])]);
      const after = bus.stats();
      return { writes: after.writes - before.writes, fsyncs: after.fsyncs - before.fsyncs, records: after.records - before.records };
    };
    // A window far longer than a tick: the second publish, one tick later, joins the first.
    expect(await twoTicks(await openBus({ sync: 'fsync', lingerMs: 500, lingerFromRate: 0 }))).toEqual({ writes: 1, fsyncs: 1, records: 2 });
    for (const bus of open.splice(0)) await bus.close();
    // The same window, but for a topic that took no appends in the previous second: written at once.
    expect(await twoTicks(await openBus({ sync: 'fsync', lingerMs: 500 }))).toEqual({ writes: 2, fsyncs: 2, records: 2 });
    for (const bus of open.splice(0)) await bus.close();
    // A topic that took 20 appends within a second (more than lingerFromRate 5): the window is used.
    const busy = await openBus({ sync: 'write', lingerMs: 500, lingerFromRate: 5 });
    for (let i = 0; i < 20; i++) await busy.publish(RAW, [{ key: 'dev-c', value: { n: i } } as never]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await twoTicks(busy)).toEqual({ writes: 1, fsyncs: 0, records: 2 });
    for (const bus of open.splice(0)) await bus.close();
    expect(await twoTicks(await openBus({ sync: 'fsync' }))).toEqual({ writes: 2, fsyncs: 2, records: 2 });
  });

  it('drops a torn tail on reopen, keeps every complete record, and appends after it', async () => {
    const first = await openBus();
    await first.publish(READINGS, values(10));
    await first.close();
    const [last] = (await segments()).slice(-1);
    const file = join(readingsDir(), last as string);
    const intact = (await stat(file)).size;
    // A frame cut short, as a crash in the middle of a write leaves it.
    const frame = prepareRecord('dev-a', reading('t', 'dev-a', 10));
    const buf = Buffer.alloc(frameBytes(frame));
    writeFrame(buf, 0, 10, Date.now(), frame);
    await appendFile(file, buf.subarray(0, buf.length - 7));

    const { logger, records } = capturingLogger();
    const second = await openBus({ logger });
    const warning = records.find((r) => r.msg.includes('torn'));
    expect(warning?.droppedBytes).toBe(buf.length - 7);
    expect(second.stats().tornBytesDropped).toBe(buf.length - 7);
    expect((await stat(file)).size).toBe(intact);
    await second.publish(READINGS, values(1, 10));
    const got = await consume(second, 'after-torn', 11);
    expect(got.map((d) => d.offset)).toEqual(Array.from({ length: 11 }, (_, i) => String(i)));
    expect(got.map((d) => seqOf(d.value))).toEqual(Array.from({ length: 11 }, (_, i) => i));
  });

  it('drops a tail frame whose checksum does not verify', async () => {
    const first = await openBus();
    await first.publish(READINGS, values(3));
    await first.close();
    const file = join(readingsDir(), segmentFileName(0));
    const frame = prepareRecord('dev-a', reading('t', 'dev-a', 3));
    const buf = Buffer.alloc(frameBytes(frame));
    writeFrame(buf, 0, 3, Date.now(), frame);
    buf[buf.length - 2] = (buf[buf.length - 2] as number) ^ 0xff;
    await appendFile(file, buf);
    const second = await openBus();
    expect(second.stats().tornBytesDropped).toBe(buf.length);
    const got = await consume(second, 'after-crc', 3);
    expect(got.map((d) => seqOf(d.value))).toEqual([0, 1, 2]);
  });

  it('skips a corrupt record in the middle of the last segment, quarantines it and keeps every record after it', async () => {
    const first = await openBus();
    await first.publish(READINGS, values(200));
    await first.close();
    const file = join(readingsDir(), segmentFileName(0));
    const size = (await stat(file)).size;
    const bytes = await readFile(file);
    bytes[Math.floor(size / 2)] = (bytes[Math.floor(size / 2)] as number) ^ 0x5a; // one flipped byte at 50 %
    await writeFile(file, bytes);

    const { logger, records } = capturingLogger();
    const second = await openBus({ logger });
    const report = records.find((r) => r.code === 'GANZHI_ERR_BUS_CORRUPT');
    expect(report?.level).toBe(50); // error
    expect(report?.skippedRecords).toBe(1);
    expect(report?.keptRecords).toBe(199);
    expect(second.stats()).toMatchObject({ corruptRegions: 1, recordsSkipped: 1, recordsKeptAfterCorruption: 199, tornBytesDropped: 0 });
    expect((await stat(file)).size).toBe(size); // nothing truncated
    const quarantined = await readdir(join(readingsDir(), 'quarantine'));
    expect(quarantined).toHaveLength(1);
    expect((await stat(join(readingsDir(), 'quarantine', quarantined[0]!))).size).toBe(second.stats().quarantinedBytes);

    await second.publish(READINGS, values(1, 200));
    const got = await consume(second, 'after-corrupt', 200);
    const seqs = got.map((d) => seqOf(d.value));
    expect(seqs).toHaveLength(200);
    expect(new Set(seqs).size).toBe(200);
    expect(seqs).toContain(199);
    expect(seqs).toContain(200); // appended after the reopen
  });

  it('skips a corrupt record in a sealed segment the same way', async () => {
    const first = await openBus({ segmentBytes: 4096 });
    await first.publish(READINGS, values(100));
    await first.close();
    const [sealed] = await segments();
    const file = join(readingsDir(), sealed as string);
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 3)] = (bytes[Math.floor(bytes.length / 3)] as number) ^ 0xff;
    await writeFile(file, bytes);
    const second = await openBus({ segmentBytes: 4096 });
    const got = await consume(second, 'sealed-corrupt', 99);
    expect(new Set(got.map((d) => seqOf(d.value))).size).toBe(99);
    expect(second.stats().recordsSkipped).toBe(1);
  });

  it('continues offsets, committed positions and appends after a reopen', async () => {
    const first = await openBus();
    await first.publish(READINGS, values(5));
    await consume(first, 'g', 5);
    await first.close();
    const second = await openBus();
    await second.publish(READINGS, values(2, 5));
    const got = await consume(second, 'g', 2);
    expect(got.map((d) => d.offset)).toEqual(['5', '6']);
  });

  it('hands a handler at most maxBatch records per call', async () => {
    const bus = await openBus();
    await bus.publish(READINGS, values(50));
    const got = await consume(bus, 'small-batches', 50, 7);
    expect(got).toHaveLength(50);
  });

  it('coalesces concurrent publishes into far fewer fsyncs than publish calls', async () => {
    // readings are synced by checkpoints by default: here every append is synced before it resolves
    const bus = await openBus({ deferSyncTopics: [] });
    const before = bus.stats();
    await Promise.all(values(1000).map((r) => bus.publish(READINGS, [r])));
    const after = bus.stats();
    expect(after.publishCalls - before.publishCalls).toBe(1000);
    expect(after.records - before.records).toBe(1000);
    expect(after.fsyncs - before.fsyncs).toBeGreaterThan(0);
    expect(after.fsyncs - before.fsyncs).toBeLessThanOrEqual(100);
  });

  it('deletes whole old segments beyond the retention size, keeps the active one, and moves a lagging group to the earliest record', async () => {
    const { logger, records } = capturingLogger();
    const bus = await openBus({ logger, sync: 'write', segmentBytes: 2048, retentionBytes: 8192 });
    await bus.publish(READINGS, values(5));
    await consume(bus, 'lagging', 5);
    for (let i = 5; i < 205; i += 5) await bus.publish(READINGS, values(5, i));
    await bus.enforceRetention();
    const files = await segments();
    const bases = files.map((f) => Number(f.slice(0, 20)));
    expect(bus.stats().segmentsDeleted).toBeGreaterThan(0);
    let bytes = 0;
    for (const f of files.slice(0, -1)) bytes += (await stat(join(readingsDir(), f))).size;
    expect(bytes).toBeLessThanOrEqual(8192);
    const earliest = bases[0] as number;
    expect(earliest).toBeGreaterThan(5);
    const got = await consume(bus, 'lagging', 205 - earliest);
    expect(got[0]?.offset).toBe(String(earliest));
    expect(seqOf((got[got.length - 1] as Delivery<Reading>).value)).toBe(204);
    const loss = records.find((r) => r.code === 'GANZHI_ERR_BUS_RETENTION_LOSS');
    expect(loss?.level).toBe(50); // reported as the data loss it is, at error level
    expect(loss?.lost).toBe(earliest - 5);
    expect(bus.stats().recordsLostToRetention).toBe(earliest - 5);
  });

  it('deletes sealed segments older than the retention age but never the active segment', async () => {
    const bus = await openBus({ sync: 'write', segmentBytes: 1024, retentionMs: 60_000 });
    for (let i = 0; i < 40; i += 4) await bus.publish(READINGS, values(4, i));
    expect((await segments()).length).toBeGreaterThan(2);
    expect(await bus.enforceRetention(Date.now())).toBe(0);
    await bus.enforceRetention(Date.now() + 120_000);
    const files = await segments();
    expect(files).toHaveLength(1);
    await bus.publish(READINGS, values(1, 40));
    const got = await consume(bus, 'after-age', 1);
    expect(seqOf((got[got.length - 1] as Delivery<Reading>).value)).toBeGreaterThanOrEqual(36);
  });

  it('gives a group that starts at the latest record only records appended after subscribe resolved', async () => {
    const bus = await openBus();
    await bus.publish(READINGS, values(3));
    const got = new Collector<Delivery<Reading>>();
    const sub = await bus.subscribe('late', { [READINGS]: async (b: readonly Delivery<Reading>[]) => got.push(...b) }, { start: 'latest' });
    await bus.publish(READINGS, values(2, 3));
    await got.count(2, 'new readings');
    await sub.close();
    expect(got.items.map((d) => seqOf(d.value))).toEqual([3, 4]);
  });

  it('refuses a second consumer for one group and topic, and accepts another group', async () => {
    const bus = await openBus();
    const handler = { [READINGS]: async () => undefined };
    const sub = await bus.subscribe('one', handler);
    await expect(bus.subscribe('one', handler)).rejects.toThrow(/already consumes/);
    const other = await bus.subscribe('two', handler);
    await other.close();
    await sub.close();
    const again = await bus.subscribe('one', handler);
    await again.close();
  });

  it('keeps a state log bounded while it runs: superseded records are compacted away as puts go on', async () => {
    const first = await openBus({ stateCompactMinBytes: 0 });
    const state = await first.stateLog('counters', (v) => v as number);
    const stateDir = join(dir, 'state', 'counters');
    let largest = 0;
    for (let i = 0; i < 3000; i++) {
      await state.put([{ key: `k${i % 3}`, value: i }]);
      if (i % 100 === 0) for (const f of await readdir(stateDir)) if (f.endsWith('.log')) largest = Math.max(largest, (await stat(join(stateDir, f))).size);
    }
    await state.put([{ key: 'k0', value: null }]);
    // 3 live keys: the log never held much more than 2 x 3 + 100 records, whatever the history
    expect(largest).toBeLessThan(120 * 200);
    expect(await state.restore()).toEqual(new Map([['k1', 2998], ['k2', 2999]]));
    await first.close();
    const second = await openBus();
    const reopened = await second.stateLog('counters', (v) => v as number);
    expect(await reopened.restore()).toEqual(new Map([['k1', 2998], ['k2', 2999]]));
    await reopened.put([{ key: 'k3', value: 7 }]);
    await second.close();
    const third = await openBus();
    expect(await (await third.stateLog('counters', (v) => v as number)).restore()).toEqual(new Map([['k1', 2998], ['k2', 2999], ['k3', 7]]));
  });

  it('leaves a state log below stateCompactMinBytes alone, and rewrites it once it is past that size', async () => {
    const bus = await openBus({ stateCompactMinBytes: 64 * 1024 });
    const state = await bus.stateLog('floor', (v) => v as number);
    const stateDir = join(dir, 'state', 'floor');
    const bytes = async () => {
      let total = 0;
      for (const f of await readdir(stateDir)) if (f.endsWith('.log')) total += (await stat(join(stateDir, f))).size;
      return total;
    };
    for (let i = 0; i < 600; i++) await state.put([{ key: `k${i % 3}`, value: i }]);
    // 600 records of 3 keys, far past 2 x 3 + 100, but under 64 KiB: every record is still there.
    const under = await bytes();
    expect(under).toBeGreaterThan(600 * 30);
    expect(under).toBeLessThan(64 * 1024);
    let i = 600;
    while ((await bytes()) >= under && i < 20_000) await state.put([{ key: `k${i % 3}`, value: i++ }]);
    // It grew to the floor and was rewritten to its three live keys.
    expect(await bytes()).toBeLessThan(under);
    expect(i).toBeGreaterThan(64 * 1024 / 60);
    expect(await state.restore()).toEqual(new Map([0, 1, 2].map((k) => [`k${k}`, [i - 1, i - 2, i - 3].find((v) => v % 3 === k)])));
  });

  it('writes derived state at a checkpoint only after every topic is synced (state never ahead of outputs on disk)', async () => {
    const order: string[] = [];
    // The readings' sync is slow: state synced beside it (not after it) would be recorded first.
    const bus = await openBus({
      sync: 'fsync',
      commitIntervalMs: 10,
      beforeSync: async (name) => {
        if (name === READINGS) await new Promise((resolve) => setTimeout(resolve, 50));
        order.push(name);
      },
    });
    const state = await bus.stateLog('derived-x', (v) => v as number, { deferSync: true, derived: true });
    await bus.publish(READINGS, values(1));
    await state.put([{ key: 'a', value: 1 }]);
    await consume(bus, 'ordering', 1);
    await bus.close();
    const stateAt = order.indexOf('state.derived-x');
    expect(stateAt).toBeGreaterThan(-1);
    expect(order.indexOf(READINGS)).toBeGreaterThan(-1);
    expect(order.indexOf(READINGS)).toBeLessThan(stateAt);
  });

  it('loses no acknowledged put of a state log when the process is killed while it compacts', async () => {
    const script = fileURLToPath(new URL('./state-writer.fixture.ts', import.meta.url));
    let lastAcked = -1;
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script, dir, '20'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      const target = lastAcked + 500 + round * 137; // a different point of the compaction cycle each round
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 60_000);
        let tail = '';
        child.stdout!.on('data', (b: Buffer) => {
          const lines = (tail + b.toString()).split('\n');
          tail = lines.pop() ?? '';
          for (const l of lines) if (l.startsWith('acked ')) lastAcked = Math.max(lastAcked, Number(l.slice(6)));
          if (lastAcked >= target) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      child.kill('SIGKILL');
      await exited;
      const bus = await openBus({ sync: 'write' });
      const values = await (await bus.stateLog('crash', (v) => v as number)).restore();
      // every key holds at least its last acknowledged value (a later, unacknowledged put may also have landed)
      for (let k = 0; k < 20; k++) {
        const lastForKey = lastAcked - ((lastAcked - k) % 20 + 20) % 20;
        expect(values.get(`k${k}`)!, `k${k}`).toBeGreaterThanOrEqual(lastForKey);
      }
      await bus.close();
      open.splice(open.indexOf(bus), 1);
      // the next round's writer continues the numbering from where the values are
      lastAcked = Math.max(...values.values());
    }
  }, 120_000);

  it('moves a group whose committed position is past the end of the log (records lost with sync write) to the end', async () => {
    const first = await openBus();
    await first.publish(READINGS, values(3));
    await first.close();
    await mkdir(join(readingsDir(), 'groups'), { recursive: true });
    await writeFile(join(readingsDir(), 'groups', 'ahead.offset'), '50\n');
    const second = await openBus();
    const got = new Collector<Delivery<Reading>>();
    const sub = await second.subscribe('ahead', { [READINGS]: async (b: readonly Delivery<Reading>[]) => got.push(...b) });
    await second.publish(READINGS, values(1, 3));
    await got.count(1, 'the new reading');
    await sub.close();
    expect(got.items.map((d) => d.offset)).toEqual(['3']);
  });

  it('refuses a data directory locked by another running process', async () => {
    await writeFile(join(dir, 'LOCK'), `${process.ppid} someone-else\n`);
    await expect(createEmbeddedBus({ dir })).rejects.toMatchObject({ code: 'GANZHI_ERR_BUS_UNAVAILABLE' });
  });
});
