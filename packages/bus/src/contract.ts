import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GanzhiError, type DeadLetter, type Reading, type TopicName } from '@ganzhi/schemas';
import type { Bus, BusRecord, Delivery, Subscription } from './bus';
import { Collector, isMyLetter, mine, reading, safeName, seqOf } from './contract-kit';

/** What an adapter's test file provides to run the shared bus contract against it. */
export interface BusContractFactory {
  open(): Promise<Bus>;
  /** Simulate a crash or restart: close (or abandon) the current bus and open a new one on the same backing storage/cluster. */
  reopen(previous: Bus): Promise<Bus>;
  cleanup(): Promise<void>;
  /** Unique per call, so tests never collide on a shared cluster. */
  uniqueGroup(prefix: string): string;
  /**
   * Appends a value that does not match the topic's schema. Defaults to `publish` with a cast,
   * which works for adapters whose publish does not validate (it must not, on the hot path).
   */
  publishInvalid?(bus: Bus, topic: TopicName, key: string, value: unknown): Promise<void>;
  /**
   * Whether the adapter checks every record against its topic's schema when it decodes it (and
   * dead-letters a mismatch with GANZHI_ERR_BUS_DECODE). True (the default) where other producers
   * can write to the topics (Kafka). The embedded bus carries only what its own process produced and
   * checksummed, so it only parses: a record of the wrong shape reaches the handler, and is parked
   * as poison if the handler fails on it.
   */
  checksSchemas?: boolean;
}

const READINGS = 'ganzhi.readings.v1';
const DEAD = 'ganzhi.deadletter.v1';

function records(values: readonly Reading[]): BusRecord<Reading>[] {
  return values.map((value) => ({ key: value.deviceId, value }));
}

/**
 * The behaviour every Bus adapter guarantees. Each case uses its own consumer groups and tags its
 * records with a run marker, so a shared, long-lived cluster works as well as a fresh directory.
 */
export function runBusContract(name: string, factory: BusContractFactory): void {
  describe(name, () => {
    let bus: Bus;
    let subs: Subscription[] = [];
    const publishInvalid = (b: Bus, topic: TopicName, key: string, value: unknown): Promise<void> =>
      factory.publishInvalid ? factory.publishInvalid(b, topic, key, value) : b.publish(topic, [{ key, value } as BusRecord<never>]);

    /** Subscribes `group` to readings, collecting this run's deliveries into `into`. */
    async function collectReadings(group: string, run: string, into: Collector<Delivery<Reading>>): Promise<Subscription> {
      const sub = await bus.subscribe(group, { [READINGS]: async (batch: readonly Delivery<Reading>[]) => into.push(...mine(run, batch)) });
      subs.push(sub);
      return sub;
    }

    async function collectLetters(stage: string, run: string): Promise<Collector<DeadLetter>> {
      const letters = new Collector<DeadLetter>();
      const sub = await bus.subscribe(factory.uniqueGroup('dead'), {
        [DEAD]: async (batch: readonly Delivery<DeadLetter>[]) => letters.push(...batch.map((d) => d.value).filter((l) => isMyLetter(run, stage, l))),
      });
      subs.push(sub);
      return letters;
    }

    async function reopen(): Promise<void> {
      for (const s of subs) await s.close();
      subs = [];
      bus = await factory.reopen(bus);
    }

    beforeEach(async () => {
      bus = await factory.open();
    });
    afterEach(async () => {
      for (const s of subs) await s.close().catch(() => undefined);
      subs = [];
      await bus.close();
    });
    afterAll(async () => {
      await factory.cleanup();
    });

    it('delivers to a new group every record published before it, in publish order per key', async () => {
      const run = safeName(factory.uniqueGroup('run'));
      const keys = ['dev-a', 'dev-b', 'dev-c'];
      const published: Reading[] = [];
      for (let call = 0; call < 10; call++) {
        const values = keys.flatMap((k, i) => [0, 1, 2].map((j) => reading(run, k, call * 9 + i * 3 + j)));
        await bus.publish(READINGS, records(values));
        published.push(...values);
      }
      const got = new Collector<Delivery<Reading>>();
      await collectReadings(factory.uniqueGroup('order'), run, got);
      await got.count(published.length, 'readings');
      for (const k of keys) {
        const seqs = got.items.filter((d) => d.key === k).map((d) => seqOf(d.value));
        expect(seqs).toEqual(published.filter((v) => v.deviceId === k).map(seqOf));
      }
      const first = got.items[0] as Delivery<Reading>;
      expect(first.topic).toBe(READINGS);
      expect(typeof first.partition).toBe('number');
      expect(first.offset).toMatch(/^\d+$/);
      expect(typeof first.timestamp).toBe('number');
      expect(first.value).toEqual(published.find((v) => v.sourceId === first.value.sourceId));
    });

    it('gives every record to each of two groups', async () => {
      const run = safeName(factory.uniqueGroup('run'));
      await bus.publish(READINGS, records(Array.from({ length: 40 }, (_, i) => reading(run, `dev-${i % 4}`, i))));
      const a = new Collector<Delivery<Reading>>();
      const b = new Collector<Delivery<Reading>>();
      await collectReadings(factory.uniqueGroup('a'), run, a);
      await collectReadings(factory.uniqueGroup('b'), run, b);
      await a.count(40, 'readings in group a');
      await b.count(40, 'readings in group b');
      expect(new Set(a.items.map((d) => d.value.sourceId)).size).toBe(40);
      expect(new Set(b.items.map((d) => d.value.sourceId)).size).toBe(40);
    });

    it('does not deliver again, after a reopen, records whose handler call resolved', async () => {
      const run = safeName(factory.uniqueGroup('run'));
      const group = factory.uniqueGroup('committed');
      await bus.publish(READINGS, records(Array.from({ length: 20 }, (_, i) => reading(run, 'dev-a', i))));
      const before = new Collector<Delivery<Reading>>();
      await collectReadings(group, run, before);
      await before.count(20, 'readings before the reopen');
      await reopen();
      const after = new Collector<Delivery<Reading>>();
      await collectReadings(group, run, after);
      await bus.publish(READINGS, records([reading(run, 'dev-a', 999)]));
      await after.until((items) => items.some((d) => seqOf(d.value) === 999), 'the reading published after the reopen');
      expect(after.items.map((d) => seqOf(d.value))).toEqual([999]);
    });

    it('delivers again the records of a batch whose handler threw a retryable error', async () => {
      const run = safeName(factory.uniqueGroup('run'));
      await bus.publish(READINGS, records(Array.from({ length: 10 }, (_, i) => reading(run, 'dev-a', i))));
      let failed: string[] | null = null;
      const acked = new Collector<string>();
      const sub = await bus.subscribe(factory.uniqueGroup('retry'), {
        [READINGS]: async (batch: readonly Delivery<Reading>[]) => {
          const ours = mine(run, batch).map((d) => d.value.sourceId);
          if (failed === null && ours.length > 0) {
            failed = ours;
            throw new GanzhiError('GANZHI_ERR_BUS_UNAVAILABLE', 'contract test: transient failure');
          }
          acked.push(...ours);
        },
      });
      subs.push(sub);
      await acked.until((items) => new Set(items).size >= 10, 'all 10 readings acknowledged');
      expect(failed).not.toBeNull();
      expect(acked.items).toEqual(expect.arrayContaining(failed ?? []));
    });

    it('delivers again, after a reopen, records that were never acknowledged', async () => {
      const run = safeName(factory.uniqueGroup('run'));
      const group = factory.uniqueGroup('unacked');
      await bus.publish(READINGS, records(Array.from({ length: 10 }, (_, i) => reading(run, 'dev-a', i))));
      const seen = new Collector<string>();
      const failing = await bus.subscribe(group, {
        [READINGS]: async (batch: readonly Delivery<Reading>[]) => {
          seen.push(...mine(run, batch).map((d) => d.value.sourceId));
          throw new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', 'contract test: never acknowledges');
        },
      });
      subs.push(failing);
      await seen.count(1, 'a first delivery attempt');
      await reopen();
      const again = new Collector<Delivery<Reading>>();
      await collectReadings(group, run, again);
      await again.until((items) => new Set(items.map((d) => d.value.sourceId)).size >= 10, 'all 10 readings redelivered');
    });

    it('parks in the dead-letter topic only the records a handler fails on with a non-retryable error, and handles the rest', async () => {
      const run = safeName(factory.uniqueGroup('run'));
      const group = factory.uniqueGroup('poison');
      const letters = await collectLetters(group, run);
      const published = Array.from({ length: 10 }, (_, i) => reading(run, `dev-${i % 2}`, i));
      await bus.publish(READINGS, records(published));
      const poison = new Set([3, 7]);
      const acked = new Collector<Reading>();
      const sub = await bus.subscribe(group, {
        [READINGS]: async (batch: readonly Delivery<Reading>[]) => {
          const ours = mine(run, batch).map((d) => d.value);
          // a stage that fails on some records (a bug, a value its code does not expect), untyped
          if (ours.some((v) => poison.has(seqOf(v)))) throw new TypeError('contract test: cannot handle this record');
          acked.push(...ours);
        },
      });
      subs.push(sub);
      await letters.until((items) => items.length >= poison.size, 'dead letters for the poison records');
      await acked.until((items) => new Set(items.map(seqOf)).size >= published.length - poison.size, 'every other record handled');
      expect(new Set(acked.items.map(seqOf))).toEqual(new Set([0, 1, 2, 4, 5, 6, 8, 9]));
      expect(letters.items).toHaveLength(poison.size);
      for (const letter of letters.items) {
        expect(letter.code).toBe('GANZHI_ERR_STAGE_FAILED');
        expect(letter.reason).toContain('cannot handle this record');
        expect(letter.source.topic).toBe(READINGS);
        const original = published.find((v) => v.sourceId === (letter.source.value as Reading).sourceId);
        expect(poison.has(seqOf(original!))).toBe(true);
        expect(letter.source.value).toEqual(original);
        expect(letter.source.key).toBe(original?.deviceId);
      }
      await bus.publish(READINGS, records([reading(run, 'dev-0', 100)]));
      await acked.until((items) => items.some((v) => seqOf(v) === 100), 'the reading published after the failure');
    });

    it(
      factory.checksSchemas === false
        ? 'hands on a record of the wrong shape, parking it as poison when the handler fails on it, without blocking the records after it'
        : 'sends a record that does not match its schema to the dead-letter topic without blocking the records after it',
      async () => {
        const run = safeName(factory.uniqueGroup('run'));
        const group = factory.uniqueGroup('decode');
        const letters = await collectLetters(group, run);
        const invalid = { ...reading(run, 'dev-a', 1), metrics: 'not a metric map' };
        await bus.publish(READINGS, records([reading(run, 'dev-a', 0)]));
        await publishInvalid(bus, READINGS, 'dev-a', invalid);
        await bus.publish(READINGS, records([reading(run, 'dev-a', 2)]));
        const got = new Collector<Delivery<Reading>>();
        const sub = await bus.subscribe(group, {
          [READINGS]: async (batch: readonly Delivery<Reading>[]) => {
            // A stage whose core cannot take the shape fails (as the real ones do on a bad value).
            if (batch.some((d) => typeof d.value.metrics !== 'object')) throw new TypeError('metrics is not a map');
            got.push(...mine(run, batch));
          },
        });
        subs.push(sub);
        await got.count(2, 'the two valid readings');
        expect(got.items.map((d) => seqOf(d.value))).toEqual([0, 2]);
        const [letter] = await letters.count(1, 'dead letter for the invalid record');
        expect(letter?.code).toBe(factory.checksSchemas === false ? 'GANZHI_ERR_STAGE_FAILED' : 'GANZHI_ERR_BUS_DECODE');
        expect(letter?.stage).toBe(group);
        expect(letter?.source).toMatchObject({ topic: READINGS, key: 'dev-a', value: invalid });
      },
    );

    it('resolves 2,000 concurrent single-record publishes and delivers each exactly once to a group that acknowledges', async () => {
      const run = safeName(factory.uniqueGroup('run'));
      const n = 2000;
      await Promise.all(Array.from({ length: n }, (_, i) => bus.publish(READINGS, records([reading(run, `dev-${i % 20}`, i)]))));
      const got = new Collector<Delivery<Reading>>();
      await collectReadings(factory.uniqueGroup('many'), run, got);
      await got.count(n, 'readings');
      await bus.publish(READINGS, records([reading(run, 'dev-end', n)]));
      await got.until((items) => items.some((d) => seqOf(d.value) === n), 'the closing reading');
      const ids = got.items.map((d) => d.value.sourceId);
      expect(ids).toHaveLength(n + 1);
      expect(new Set(ids).size).toBe(n + 1);
      for (let k = 0; k < 20; k++) {
        const seqs = got.items.filter((d) => d.key === `dev-${k}`).map((d) => seqOf(d.value));
        expect(seqs).toHaveLength(n / 20);
      }
    });

    it('restores the latest value per key of a state log across reopens, deletes included', async () => {
      const name = safeName(factory.uniqueGroup('state'));
      const decode = (v: unknown): { n: number } => {
        if (typeof v !== 'object' || v === null || typeof (v as { n?: unknown }).n !== 'number') throw new Error('bad state value');
        return v as { n: number };
      };
      const state = await bus.stateLog(name, decode);
      await state.put([
        { key: 'a', value: { n: 1 } },
        { key: 'b', value: { n: 2 } },
        { key: 'c', value: { n: 3 } },
      ]);
      await state.put([
        { key: 'a', value: { n: 4 } },
        { key: 'b', value: null },
      ]);
      expect(await state.restore()).toEqual(new Map([['a', { n: 4 }], ['c', { n: 3 }]]));
      await reopen();
      const reopened = await bus.stateLog(name, decode);
      expect(await reopened.restore()).toEqual(new Map([['a', { n: 4 }], ['c', { n: 3 }]]));
      await reopened.put([{ key: 'c', value: null }, { key: 'd', value: { n: 5 } }]);
      await reopen();
      expect(await (await bus.stateLog(name, decode)).restore()).toEqual(new Map([['a', { n: 4 }], ['d', { n: 5 }]]));
    });

    it('rejects publish after close with GANZHI_ERR_BUS_CLOSED', async () => {
      const run = safeName(factory.uniqueGroup('run'));
      await bus.publish(READINGS, records([reading(run, 'dev-a', 0)]));
      await bus.close();
      await expect(bus.publish(READINGS, records([reading(run, 'dev-a', 1)]))).rejects.toMatchObject({ code: 'GANZHI_ERR_BUS_CLOSED' });
    });
  });
}
