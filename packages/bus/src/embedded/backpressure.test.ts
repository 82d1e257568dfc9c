import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RawEnvelope, Reading } from '@ganzhi/schemas';
import type { Delivery } from '../bus';
import { Collector, reading, seqOf } from '../contract-kit';
import { parseCheckpoints } from './checkpoints';
import { createEmbeddedBus, type EmbeddedBus, type EmbeddedBusOptions } from './embedded-bus';

const RAW = 'ganzhi.raw.v1';
const READINGS = 'ganzhi.readings.v1';
const fast = { retry: { initialMs: 10, maxMs: 100 } } as const;

function raw(i: number): RawEnvelope {
  return {
    id: `msg-${i}`,
    deviceId: 'dev-a',
    kind: 'river_gauge',
    format: 'json',
    topic: 'devices/dev-a/telemetry',
    receivedAt: 1_700_000_000_000 + i,
    encoding: 'utf8',
    payload: JSON.stringify({ seq: i }),
  };
}
const seqOfRaw = (r: RawEnvelope): number => Number(r.id.slice('msg-'.length));
const readings = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ key: 'dev-a', value: reading('t', 'dev-a', from + i) }));

/** Polls `check` (bounded in count and time) until it holds. */
async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  for (let i = 0; i < timeoutMs / 10; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('embedded bus backpressure and consumption', () => {
  let dir: string;
  const open: EmbeddedBus[] = [];
  const openBus = async (options: Partial<EmbeddedBusOptions> = {}) => {
    const bus = await createEmbeddedBus({ dir, ...fast, ...options });
    open.push(bus);
    return bus;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ganzhi-bus-bp-'));
  });
  afterEach(async () => {
    for (const bus of open.splice(0)) await bus.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('makes the publisher of a two-stage chain wait while the last stage is stalled, then drains everything without loss', async () => {
    const bus = await openBus({ maxLag: 20 });
    const total = 300;
    // Stage 1: raw -> readings, publishing its outputs before acknowledging its input.
    const stage1 = await bus.subscribe('stage1', {
      [RAW]: async (batch: readonly Delivery<RawEnvelope>[]) => {
        await bus.publish(READINGS, batch.map((d) => ({ key: d.key, value: reading('t', d.key, seqOfRaw(d.value)) })));
      },
    }, { maxBatch: 5 });
    // Stage 2: a sink that is stalled until the test releases it.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const stored = new Collector<number>();
    const stage2 = await bus.subscribe('stage2', {
      [READINGS]: async (batch: readonly Delivery<Reading>[]) => {
        await released;
        stored.push(...batch.map((d) => seqOf(d.value)));
      },
    }, { maxBatch: 5 });

    // The device side: one QoS 1-like publisher, each publish awaited before the next.
    let published = 0;
    const publisher = (async () => {
      for (let i = 0; i < total; i++) {
        await bus.publish(RAW, [{ key: 'dev-a', value: raw(i) }]);
        published = i + 1;
      }
    })();

    // Stage 1 waits to publish into readings, and the publisher of raw waits behind stage 1.
    await until(() => bus.stats().publishWaiting === 2, 'the publisher and stage 1 to wait');
    expect(published).toBeLessThan(total);
    const held = published;
    expect(stored.items).toEqual([]);

    release();
    await publisher;
    const got = await stored.until((items) => new Set(items).size >= total, `${total} stored readings`);
    expect(new Set(got)).toEqual(new Set(Array.from({ length: total }, (_, i) => i)));
    expect(held).toBeLessThan(total);
    expect(bus.stats().publishWaits).toBeGreaterThanOrEqual(2);
    expect(bus.stats().publishWaiting).toBe(0);
    await stage1.close();
    await stage2.close();
  }, 30_000);

  it('lets a group publish to the topic it consumes even when it is the one lagging (no self-deadlock)', async () => {
    const bus = await openBus({ maxLag: 10 });
    await bus.publish(READINGS, readings(100));
    const echoes = new Collector<number>();
    const sub = await bus.subscribe('echo', {
      [READINGS]: async (batch: readonly Delivery<Reading>[]) => {
        const originals = batch.filter((d) => seqOf(d.value) < 1000);
        echoes.push(...batch.filter((d) => seqOf(d.value) >= 1000).map((d) => seqOf(d.value)));
        if (originals.length > 0) await bus.publish(READINGS, originals.map((d) => ({ key: 'dev-a', value: reading('t', 'dev-a', 1000 + seqOf(d.value)) })));
      },
    }, { maxBatch: 1 });
    await echoes.count(100, 'echoes');
    expect(new Set(echoes.items).size).toBe(100);
    await sub.close();
  }, 30_000);

  it('does not hold publishers back for a group that only has a committed position from an earlier run', async () => {
    const first = await openBus({ maxLag: 5 });
    const seen = new Collector<Delivery<Reading>>();
    const sub = await first.subscribe('gone', { [READINGS]: async (batch: readonly Delivery<Reading>[]) => seen.push(...batch) });
    await first.publish(READINGS, readings(3));
    await seen.count(3, 'readings');
    await sub.close();
    await first.close();

    const second = await openBus({ maxLag: 5 });
    for (let i = 0; i < 50; i++) await second.publish(READINGS, readings(1, 3 + i));
    expect(second.stats().publishWaits).toBe(0);
  }, 30_000);

  it('releases waiting publishers when the lagging group unsubscribes', async () => {
    const bus = await openBus({ maxLag: 5 });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const sub = await bus.subscribe('stuck', { [READINGS]: () => released }, { start: 'latest' });
    const publishing = (async () => {
      for (let i = 0; i < 20; i++) await bus.publish(READINGS, readings(1, i));
    })();
    await until(() => bus.stats().publishWaiting === 1, 'the publisher to wait');
    // The handler is still stalled: closing the subscription alone must let the publisher go on.
    const closing = sub.close();
    await publishing;
    expect(bus.stats().publishWaiting).toBe(0);
    release();
    await closing;
  }, 30_000);

  it('hands every group the same decoded value objects, decoding each record once', async () => {
    const bus = await openBus();
    const a = new Collector<Delivery<Reading>>();
    const b = new Collector<Delivery<Reading>>();
    const subA = await bus.subscribe('a', { [READINGS]: async (batch: readonly Delivery<Reading>[]) => a.push(...batch) });
    const subB = await bus.subscribe('b', { [READINGS]: async (batch: readonly Delivery<Reading>[]) => b.push(...batch) });
    await bus.publish(READINGS, readings(50));
    await a.count(50, 'readings for a');
    await b.count(50, 'readings for b');
    for (let i = 0; i < 50; i++) expect(a.items[i]?.value).toBe(b.items[i]?.value);
    await subA.close();
    await subB.close();
  }, 30_000);

  it('coalesces offset commits, and commits the handled position on close', async () => {
    const bus = await openBus({ commitIntervalMs: 60_000 });
    const committed = async () => parseCheckpoints(await readFile(join(dir, 'offsets.log'), 'utf8').catch(() => '')).positions.get(READINGS)?.get('lazy') ?? null;
    const seen = new Collector<Delivery<Reading>>();
    const sub = await bus.subscribe('lazy', { [READINGS]: async (batch: readonly Delivery<Reading>[]) => seen.push(...batch) }, { maxBatch: 1 });
    for (let i = 0; i < 5; i++) await bus.publish(READINGS, readings(1, i));
    await seen.count(5, 'readings');
    expect(await committed()).toBeNull();
    await sub.close();
    expect(await committed()).toBe(5);

    const again = new Collector<Delivery<Reading>>();
    const sub2 = await bus.subscribe('lazy', { [READINGS]: async (batch: readonly Delivery<Reading>[]) => again.push(...batch) });
    await bus.publish(READINGS, readings(1, 5));
    await again.count(1, 'the new reading');
    expect(again.items.map((d) => d.offset)).toEqual(['5']);
    await sub2.close();
  }, 30_000);
});
