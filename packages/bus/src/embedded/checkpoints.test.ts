import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@ganzhi/log';
import type { Reading } from '@ganzhi/schemas';
import type { Delivery } from '../bus';
import { Collector, reading } from '../contract-kit';
import { Checkpoints, parseCheckpoints } from './checkpoints';
import { createEmbeddedBus, type EmbeddedBus } from './embedded-bus';

const READINGS = 'ganzhi.readings.v1';
const RAW = 'ganzhi.raw.v1';

describe('parseCheckpoints', () => {
  it('applies whole lines in order and stops at a torn last line', () => {
    const text = '{"t":{"a":1,"b":2}}\n{"t":{"a":5}}\n{"t":{"a":9';
    const { positions, validBytes } = parseCheckpoints(text);
    expect(positions.get('t')).toEqual(new Map([['a', 5], ['b', 2]]));
    expect(validBytes).toBe(text.lastIndexOf('\n') + 1);
  });

  it('ignores positions that are not non-negative integers', () => {
    const { positions } = parseCheckpoints('{"t":{"a":-1,"b":1.5,"c":"3","d":4}}\n');
    expect(positions.get('t')).toEqual(new Map([['d', 4]]));
  });
});

describe('checkpoints', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ganzhi-checkpoints-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const openCheckpoints = (o: { syncLogs?: () => Promise<void>; compactBytes?: number; intervalMs?: number } = {}) =>
    Checkpoints.open({ dir, sync: 'fsync', intervalMs: o.intervalMs ?? 60_000, syncLogs: o.syncLogs ?? (async () => undefined), logger: silentLogger(), ...(o.compactBytes ? { compactBytes: o.compactBytes } : {}) });

  it('commits every group in one line per checkpoint, and reads them back after a reopen', async () => {
    const c = await openCheckpoints();
    const a = c.committer('t1', 'a', 0, 1000);
    const b = c.committer('t2', 'b', 0, 1000);
    a.note(3);
    b.note(7);
    await a.flush();
    a.note(4);
    await c.close();
    const lines = (await readFile(join(dir, 'offsets.log'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ t1: { a: 3 }, t2: { b: 7 } }, { t1: { a: 4 } }]);
    const again = await openCheckpoints();
    expect(await again.position('t1', 'a')).toBe(4);
    expect(await again.position('t2', 'b')).toBe(7);
    expect(await again.position('t2', 'nobody')).toBeNull();
    await again.close();
  });

  it('drops a torn last line on open and appends after the valid ones', async () => {
    const c = await openCheckpoints();
    const a = c.committer('t', 'a', 0, 1000);
    a.note(2);
    await c.close();
    await appendFile(join(dir, 'offsets.log'), '{"t":{"a":99');
    const again = await openCheckpoints();
    expect(await again.position('t', 'a')).toBe(2);
    const a2 = again.committer('t', 'a', 2, 1000);
    a2.note(5);
    await again.close();
    const third = await openCheckpoints();
    expect(await third.position('t', 'a')).toBe(5);
    await third.close();
  });

  it('syncs the logs before it writes a position, and writes nothing while that sync is held', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const c = await openCheckpoints({ syncLogs: () => held });
    const a = c.committer('t', 'a', 0, 1000);
    a.note(10);
    const flushed = a.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await readFile(join(dir, 'offsets.log'), 'utf8')).toBe('');
    release();
    await flushed;
    expect(parseCheckpoints(await readFile(join(dir, 'offsets.log'), 'utf8')).positions.get('t')?.get('a')).toBe(10);
    await c.close();
  });

  it('rewrites the file as a snapshot once it grows past its limit', async () => {
    const c = await openCheckpoints({ compactBytes: 200 });
    const groups = ['a', 'b', 'c'].map((g) => c.committer('topic', g, 0, 1_000_000));
    for (let i = 1; i <= 50; i++) {
      groups[i % 3]!.note(i);
      await c.flush();
    }
    const size = (await stat(join(dir, 'offsets.log'))).size;
    expect(size).toBeLessThan(260);
    await c.close();
    const again = await openCheckpoints();
    expect(await again.position('topic', 'a')).toBe(48);
    expect(await again.position('topic', 'b')).toBe(49);
    expect(await again.position('topic', 'c')).toBe(50);
    await again.close();
  });
});

describe('embedded bus: derived topics are synced by checkpoints', () => {
  let dir: string;
  let bus: EmbeddedBus | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ganzhi-derived-sync-'));
  });
  afterEach(async () => {
    await bus?.close();
    bus = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('resolves a derived publish once written, and commits a group position only after that log is synced', async () => {
    const syncs: string[] = [];
    let hold = false;
    let release: () => void = () => undefined;
    bus = await createEmbeddedBus({
      dir,
      commitIntervalMs: 20,
      beforeSync: (log) => {
        syncs.push(log);
        if (hold && log === READINGS) return new Promise<void>((resolve) => (release = resolve));
        return undefined;
      },
    });
    const before = bus.stats().fsyncs;
    await bus.publish(READINGS, [{ key: 'd', value: reading('t', 'd', 1) }]);
    expect(bus.stats().fsyncs).toBe(before);
    expect(syncs).not.toContain(READINGS);
    // a source topic is synced before its publish resolves
    await bus.publish(RAW, [{ key: 'd', value: { id: 'm1', deviceId: 'd', kind: 'river_gauge', format: 'json', topic: 'devices/d/telemetry', receivedAt: 1, encoding: 'utf8', payload: '{}' } }]);
    expect(syncs).toEqual([RAW]);

    hold = true;
    const got = new Collector<Delivery<Reading>>();
    const sub = await bus.subscribe('derived-reader', { [READINGS]: async (b: readonly Delivery<Reading>[]) => got.push(...b) });
    await got.count(1, 'the reading');
    const committed = async () => parseCheckpoints(await readFile(join(dir, 'offsets.log'), 'utf8').catch(() => '')).positions.get(READINGS)?.get('derived-reader');
    for (let i = 0; i < 200 && !syncs.includes(READINGS); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(syncs).toContain(READINGS);
    expect(await committed()).toBeUndefined();
    release();
    for (let i = 0; i < 200 && (await committed()) === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await committed()).toBe(1);
    await sub.close();
  });

  it('serves a reader close to the end from memory, the same records as from the file', async () => {
    bus = await createEmbeddedBus({ dir });
    const values = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 3}`, value: reading('t', `k${i % 3}`, i) }));
    await bus.publish(READINGS, values);
    const live = new Collector<Delivery<Reading>>();
    const sub = await bus.subscribe('live', { [READINGS]: async (b: readonly Delivery<Reading>[]) => live.push(...b) });
    await live.count(30, 'readings from the tail');
    await sub.close();
    await bus.close();
    bus = await createEmbeddedBus({ dir });
    const cold = new Collector<Delivery<Reading>>();
    const sub2 = await bus.subscribe('cold', { [READINGS]: async (b: readonly Delivery<Reading>[]) => cold.push(...b) });
    await cold.count(30, 'readings from the file');
    await sub2.close();
    expect(live.items.map((d) => [d.offset, d.key, d.value, d.timestamp])).toEqual(cold.items.map((d) => [d.offset, d.key, d.value, d.timestamp]));
  });

  it('keeps a deferred state log working while checkpoints sync it and it compacts (no failed log, nothing lost)', async () => {
    // each sync of the state log takes a while, so compactions happen while one is in progress
    const slowSync = (log: string) => (log === 'state.busy' ? new Promise<void>((resolve) => setTimeout(resolve, 3)) : undefined);
    bus = await createEmbeddedBus({ dir, commitIntervalMs: 0, beforeSync: slowSync });
    const state = await bus.stateLog('busy', (v) => v as number, { deferSync: true });
    const seen = new Collector<Delivery<Reading>>();
    const sub = await bus.subscribe('busy-reader', { [READINGS]: async (b: readonly Delivery<Reading>[]) => seen.push(...b) }, { maxBatch: 1 });
    // 3 keys and 400 puts: the log compacts several times while every handled reading is checkpointed
    for (let i = 1; i <= 400; i++) {
      await Promise.all([bus.publish(READINGS, [{ key: 'd', value: reading('t', 'd', i) }]), state.put([{ key: `k${i % 3}`, value: i }])]);
    }
    await seen.count(400, 'readings');
    await sub.close();
    await bus.close();
    bus = await createEmbeddedBus({ dir });
    const again = await bus.stateLog('busy', (v) => v as number, { deferSync: true });
    expect(await again.restore()).toEqual(new Map([['k0', 399], ['k1', 400], ['k2', 398]]));
  }, 60_000);
});
