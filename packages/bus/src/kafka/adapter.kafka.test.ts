import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GanzhiError, TOPIC_NAMES } from '@ganzhi/schemas';
import type { Reading } from '@ganzhi/schemas';
import { reportKafkaPeer, runTopicPrefix, startKafkaPeer } from '@ganzhi/testkit';
import type { KafkaPeer } from '@ganzhi/testkit';
import type { Delivery } from '../bus';
import { Collector, mine, reading, safeName, seqOf } from '../contract-kit';
import { createKafkaBus } from './kafka-bus';
import type { KafkaBus } from './kafka-bus';

const READINGS = 'ganzhi.readings.v1';
const run = safeName(`adapter-${Date.now().toString(36)}`);
const topicPrefix = runTopicPrefix('adapter');
const start = await startKafkaPeer({ topics: TOPIC_NAMES.map((t) => `${topicPrefix}${t}`), partitions: 6 });
reportKafkaPeer('adapter (packages/bus/src/kafka)', start);

describe.skipIf(!start.peer)('the Kafka bus adapter', () => {
  let peer: KafkaPeer;
  let bus: KafkaBus;
  beforeAll(async () => {
    peer = start.peer as KafkaPeer;
    bus = await createKafkaBus({
      brokers: peer.brokers,
      partitions: 6,
      topicPrefix,
      consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitMs: 100 },
    });
  });
  afterAll(async () => {
    await bus?.close();
    await peer?.stop();
  });

  it('sends 1,000 concurrent single-record publishes in far fewer produce requests, each record once', async () => {
    const before = bus.stats().producer;
    const sentBefore = bus.stats().requests.Produce ?? 0;
    const n = 1000;
    await Promise.all(Array.from({ length: n }, (_, i) => bus.publish(READINGS, [{ key: `dev-${i % 10}`, value: reading(run, `dev-${i % 10}`, i) }])));
    const after = bus.stats().producer;
    expect(after.calls - before.calls).toBe(n);
    expect(after.records - before.records).toBe(n);
    expect(after.produceRequests - before.produceRequests).toBeLessThanOrEqual(n / 20);
    // what went over the wire, as kafkajs counted it: one Produce request per batch, none besides
    expect((bus.stats().requests.Produce ?? 0) - sentBefore).toBe(after.produceRequests - before.produceRequests);
    const got = new Collector<Delivery<Reading>>();
    const sub = await bus.subscribe(`batching-${run}`, { [READINGS]: async (b: readonly Delivery<Reading>[]) => got.push(...mine(run, b)) });
    await got.count(n, 'readings');
    await sub.close();
    expect(new Set(got.items.map((d) => d.value.sourceId)).size).toBe(n);
  });

  it("gives a group that starts at 'latest' every record published after subscribe resolved, and none from before", async () => {
    const marker = `${run}-latest`;
    await bus.publish(READINGS, [{ key: 'dev-l', value: reading(marker, 'dev-l', 0) }]);
    const got = new Collector<Delivery<Reading>>();
    const sub = await bus.subscribe(`latest-${run}`, { [READINGS]: async (b: readonly Delivery<Reading>[]) => got.push(...mine(marker, b)) }, { start: 'latest' });
    await bus.publish(READINGS, [1, 2, 3].map((i) => ({ key: 'dev-l', value: reading(marker, 'dev-l', i) })));
    await got.count(3, 'readings published after subscribe');
    await sub.close();
    expect(got.items.map((d) => d.value.ts - 1_700_000_000_000)).toEqual([1, 2, 3]);
  });

  it('hands a handler at most maxBatch records per call', async () => {
    const marker = `${run}-max`;
    await bus.publish(READINGS, Array.from({ length: 25 }, (_, i) => ({ key: 'dev-m', value: reading(marker, 'dev-m', i) })));
    const sizes: number[] = [];
    const got = new Collector<Delivery<Reading>>();
    const sub = await bus.subscribe(
      `maxbatch-${run}`,
      {
        [READINGS]: async (b: readonly Delivery<Reading>[]) => {
          sizes.push(b.length);
          got.push(...mine(marker, b));
        },
      },
      { maxBatch: 4 },
    );
    await got.count(25, 'readings');
    await sub.close();
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
  });

  it('shares a group between two instances, and after one leaves the other receives its partitions, losing nothing', async () => {
    const marker = `${run}-group`;
    const other = await createKafkaBus({
      brokers: peer.brokers,
      partitions: 6,
      topicPrefix,
      consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitMs: 100 },
    });
    try {
      const group = `shared-${run}`;
      const all = new Collector<string>();
      const handler = async (b: readonly Delivery<Reading>[]) => all.push(...mine(marker, b).map((d) => d.value.sourceId));
      const publishRange = (from: number) =>
        bus.publish(READINGS, Array.from({ length: 60 }, (_, i) => ({ key: `dev-${i % 12}`, value: reading(marker, `dev-${i % 12}`, from + i) })));
      const a = await bus.subscribe(group, { [READINGS]: handler });
      const b = await other.subscribe(group, { [READINGS]: handler });
      await publishRange(0);
      await all.until((items) => new Set(items).size >= 60, 'the first 60 readings across both members');
      await b.close();
      await publishRange(60);
      await all.until((items) => new Set(items).size >= 120, 'the next 60 readings, all on the remaining member');
      await a.close();
      expect(new Set(all.items).size).toBe(120);
    } finally {
      await other.close();
    }
  });

  it('with prefetch, fetches on while a handler call runs, yet hands each record once and in order, also across a retryable failure', async () => {
    const marker = `${run}-prefetch`;
    const group = `prefetch-${run}`;
    // 30 produce requests: 30 record batches in one partition, several fetches apart
    for (let b = 0; b < 30; b++) await bus.publish(READINGS, Array.from({ length: 10 }, (_, i) => ({ key: 'dev-p', value: reading(marker, 'dev-p', b * 10 + i) })));
    const acked = new Collector<number>();
    let calls = 0;
    let failed: number[] | undefined;
    let fetchedDuringACall = false;
    const fetches = () => bus.stats().fetches[group] ?? 0;
    const sub = await bus.subscribe(
      group,
      {
        [READINGS]: async (b: readonly Delivery<Reading>[]) => {
          const ours = mine(marker, b).map((d) => seqOf(d.value));
          if (ours.length === 0) return;
          const before = fetches();
          await new Promise((r) => setTimeout(r, 40));
          if (fetches() > before) fetchedDuringACall = true;
          if (++calls === 4 && failed === undefined) {
            failed = ours;
            throw new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', 'adapter test: store down once');
          }
          acked.push(...ours);
        },
      },
      { maxBatch: 10, prefetch: true },
    );
    await acked.count(300, 'readings acknowledged');
    await sub.close();
    expect(failed?.length).toBeGreaterThan(0);
    expect(fetchedDuringACall).toBe(true);
    // nothing twice, nothing skipped, in publish order: the failed call and what was fetched
    // behind it came again, in order
    expect(acked.items).toEqual(Array.from({ length: 300 }, (_, i) => i));
    // and the group's position covers them all
    const again = new Collector<number>();
    const reopened = await bus.subscribe(group, { [READINGS]: async (b: readonly Delivery<Reading>[]) => again.push(...mine(marker, b).map((d) => seqOf(d.value))) }, { prefetch: true });
    await bus.publish(READINGS, [{ key: 'dev-p', value: reading(marker, 'dev-p', 999) }]);
    await again.until((items) => items.includes(999), 'the reading published after the reopen');
    await reopened.close();
    expect(again.items).toEqual([999]);
  });

  it('with prefetch, commits only records whose handler call resolved, not those fetched ahead of it', async () => {
    const marker = `${run}-prefetch-commit`;
    const group = `prefetch-commit-${run}`;
    for (let b = 0; b < 10; b++) await bus.publish(READINGS, Array.from({ length: 10 }, (_, i) => ({ key: 'dev-q', value: reading(marker, 'dev-q', b * 10 + i) })));
    const acked = new Collector<number>();
    const refused = new Collector<number>();
    const first = await bus.subscribe(
      group,
      {
        [READINGS]: async (b: readonly Delivery<Reading>[]) => {
          const ours = mine(marker, b).map((d) => seqOf(d.value));
          if (ours.some((n) => n >= 50)) {
            refused.push(...ours);
            throw new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', 'adapter test: store down from record 50 on');
          }
          acked.push(...ours);
        },
      },
      { maxBatch: 10, prefetch: true },
    );
    await acked.count(50, 'the first 50 readings');
    await refused.count(1, 'a refused call');
    await first.close();
    expect(acked.items).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const after = new Collector<number>();
    const second = await bus.subscribe(group, { [READINGS]: async (b: readonly Delivery<Reading>[]) => after.push(...mine(marker, b).map((d) => seqOf(d.value))) });
    await after.count(50, 'the other 50 readings after the reopen');
    await second.close();
    expect(after.items).toEqual(Array.from({ length: 50 }, (_, i) => 50 + i));
  });

  it('holds derived state back until it is read or a consumer position is committed, writing a key put many times once', async () => {
    // a long commit interval: only a restore or a commit writes the held state here
    const slow = await createKafkaBus({ brokers: peer.brokers, partitions: 6, topicPrefix, consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitMs: 100, commitIntervalMs: 60_000 } });
    try {
      const name = `derived-${run}`;
      const log = await slow.stateLog(name, (v) => v as { n: number }, { deferSync: true, derived: true });
      const before = slow.stats().producer.records;
      await log.put([{ key: 'a', value: { n: 1 } }]);
      await log.put([{ key: 'a', value: { n: 2 } }, { key: 'b', value: { n: 1 } }]);
      await log.put([{ key: 'b', value: null }, { key: 'c', value: { n: 3 } }]);
      expect(slow.stats().producer.records - before).toBe(0);
      expect(await log.restore()).toEqual(new Map([['a', { n: 2 }], ['c', { n: 3 }]]));
      expect(slow.stats().producer.records - before).toBe(3); // a, b (a tombstone) and c, once each

      // a handler puts derived state; closing its subscription commits its position, and the
      // state is written before that commit: another instance restores it
      const marker = `${run}-derived`;
      await slow.publish(READINGS, Array.from({ length: 5 }, (_, i) => ({ key: 'dev-d', value: reading(marker, 'dev-d', i) })));
      const handled = new Collector<number>();
      const sub = await slow.subscribe(`derived-${run}`, {
        [READINGS]: async (b: readonly Delivery<Reading>[]) => {
          const ours = mine(marker, b).map((d) => seqOf(d.value));
          await log.put(ours.map((n) => ({ key: `seq-${n}`, value: { n } })));
          handled.push(...ours);
        },
      });
      await handled.count(5, 'readings');
      await sub.close();
      const another = await createKafkaBus({ brokers: peer.brokers, partitions: 6, topicPrefix });
      try {
        const restored = await (await another.stateLog(name, (v) => v as { n: number })).restore();
        expect([0, 1, 2, 3, 4].map((n) => restored.get(`seq-${n}`))).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
      } finally {
        await another.close();
      }
    } finally {
      await slow.close();
    }
  });

  it('refuses a state log name that is not a valid Kafka topic name', async () => {
    await expect(bus.stateLog('no/slashes', (v) => v)).rejects.toMatchObject({ code: 'GANZHI_ERR_CFG_INVALID' });
  });

  it('restores after each rebalance what another instance wrote since, through one long-lived reader (no group join per restore)', async () => {
    const other = await createKafkaBus({ brokers: peer.brokers, partitions: 6, topicPrefix, consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitMs: 100 } });
    try {
      const name = `tail-${run}`;
      const writer = await other.stateLog(name, (v) => v as { n: number });
      const reader = await bus.stateLog(name, (v) => v as { n: number });
      const before = bus.stats().state;
      await writer.put([{ key: 'a', value: { n: 1 } }, { key: 'b', value: { n: 1 } }]);
      expect(await reader.restore()).toEqual(new Map([['a', { n: 1 }], ['b', { n: 1 }]]));
      await writer.put([{ key: 'a', value: { n: 2 } }, { key: 'b', value: null }, { key: 'c', value: { n: 3 } }]);
      expect(await reader.restore()).toEqual(new Map([['a', { n: 2 }], ['c', { n: 3 }]]));
      await writer.put(Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: { n: i } })));
      const third = await reader.restore();
      expect(third.size).toBe(202);
      expect(third.get('k199')).toEqual({ n: 199 });
      const after = bus.stats().state;
      expect(after.restores - before.restores).toBe(3);
      expect(after.readerJoins).toBe(1); // joined once, when the state log was opened
      expect(after.records - before.records).toBe(205); // each value read once, by the one reader
    } finally {
      await other.close();
    }
  });

  it('refuses to restore a state value that is not JSON with GANZHI_ERR_BUS_DECODE, naming its key and position', async () => {
    const name = `garbled-${run}`;
    const log = await bus.stateLog(name, (v) => v as { n: number });
    await log.put([{ key: 'good', value: { n: 1 } }]);
    const producer = new Kafka({ brokers: peer.brokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    try {
      await producer.send({ topic: `${topicPrefix}ganzhi.state.${name}`, acks: -1, messages: [{ key: 'bad', value: '{not json' }] });
    } finally {
      await producer.disconnect();
    }
    await expect(log.restore()).rejects.toMatchObject({ code: 'GANZHI_ERR_BUS_DECODE', message: expect.stringMatching(/key bad at \d+\/\d+: SyntaxError/) });
    // a later value for the key replaces the garbled one
    await log.put([{ key: 'bad', value: { n: 2 } }]);
    expect(await log.restore()).toEqual(new Map([['good', { n: 1 }], ['bad', { n: 2 }]]));
  });

  it('restores an empty map from a state log nobody wrote to', async () => {
    const log = await bus.stateLog(`empty-${run}`, (v) => v);
    expect(await log.restore()).toEqual(new Map());
  });
});

if (!start.peer) {
  describe.skip('the Kafka bus adapter', () => {
    it(`is skipped: ${start.reason}`, () => undefined);
  });
}
