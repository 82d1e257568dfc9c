import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPIC_NAMES } from '@ganzhi/schemas';
import type { Reading } from '@ganzhi/schemas';
import { createKafkaBus } from '@ganzhi/bus';
import type { Delivery, KafkaBus, KafkaBusOptions } from '@ganzhi/bus';
import { reportKafkaPeer, runTopicPrefix, startKafkaPeer, startKafkaProxy } from '@ganzhi/testkit';
import type { KafkaPeer, KafkaProxy } from '@ganzhi/testkit';
import { Collector, mine, reading, safeName } from '../../packages/bus/src/contract-kit';

/**
 * Kafka briefly unavailable: the bus talks to the peer (KAFKA_BROKERS, or the mock) through a
 * Kafka-aware TCP proxy of the test's own, which is cut (connections reset and refused) and
 * restored, so the outage is tried on whatever cluster the suite runs on.
 */
const READINGS = 'ganzhi.readings.v1';
const run = safeName(`outage-${Date.now().toString(36)}`);
const topicPrefix = runTopicPrefix('outage');
const start = await startKafkaPeer({ topics: TOPIC_NAMES.map((t) => `${topicPrefix}${t}`), partitions: 3 });
reportKafkaPeer('outage (test/kafka)', start);
const skipReason = start.peer ? undefined : start.reason;

/** Polls `cond` every 50 ms, at most `timeoutMs`. */
async function waitFor(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skipReason !== undefined)('the Kafka bus while its broker is down', () => {
  let peer: KafkaPeer;
  let proxy: KafkaProxy;
  const buses: KafkaBus[] = [];
  const open = async (extra: Partial<KafkaBusOptions> = {}): Promise<KafkaBus> => {
    const bus = await createKafkaBus({
      brokers: proxy.brokers,
      partitions: 3,
      topicPrefix,
      consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitMs: 100 },
      ...extra,
    });
    buses.push(bus);
    return bus;
  };

  beforeAll(async () => {
    peer = start.peer as KafkaPeer;
    proxy = await startKafkaProxy({ bootstrap: peer.brokers });
  });
  afterAll(async () => {
    await proxy?.restore().catch(() => undefined);
    for (const b of buses) await b.close().catch(() => undefined);
    await proxy?.close();
    await peer?.stop();
  });

  it('holds publishes made during the outage, within a bounded queue, until the broker is back, and loses none', async () => {
    const bus = await open({ deliveryTimeoutMs: 120_000, batch: { maxRecords: 10, maxQueuedRecords: 20 } });
    const got = new Collector<Delivery<Reading>>();
    const sub = await bus.subscribe(`outage-live-${run}`, { [READINGS]: async (batch: readonly Delivery<Reading>[]) => got.push(...mine(run, batch)) });
    await bus.publish(READINGS, [{ key: 'dev-0', value: reading(run, 'dev-0', 0) }]);
    await got.count(1, 'the reading published before the outage');

    await proxy.cut();
    const retriesBefore = bus.stats().producer.retries;
    let settled = 0;
    const n = 50;
    const publishes = Array.from({ length: n }, (_, i) =>
      bus.publish(READINGS, [{ key: `dev-${i % 5}`, value: reading(run, `dev-${i % 5}`, i + 1) }]).then(() => {
        settled += 1;
      }),
    );
    await waitFor(() => bus.stats().producer.retries > retriesBefore, 'a produce request to fail during the outage');
    const during = bus.stats().producer;
    expect(settled).toBe(0);
    expect(during.queuedRecords).toBeLessThanOrEqual(20);
    expect(during.waitingCallers).toBeGreaterThan(0);
    expect(during.pendingRecords).toBe(n);

    await proxy.restore();
    await Promise.all(publishes);
    expect(settled).toBe(n);

    // The subscription that lived through the outage receives everything, and a new group finds
    // every record in the log.
    await got.count(n + 1, 'every reading, through the outage');
    await sub.close();
    const replay = new Collector<Delivery<Reading>>();
    await bus.subscribe(`outage-replay-${run}`, { [READINGS]: async (batch: readonly Delivery<Reading>[]) => replay.push(...mine(run, batch)) });
    await replay.count(n + 1, 'every reading, read again from the log');
    const ids = new Set(replay.items.map((d) => d.value.sourceId));
    expect(ids.size).toBe(n + 1);
  });

  it('rejects with a retryable GANZHI_ERR_BUS_UNAVAILABLE when the broker stays away past the delivery timeout, then publishes again once it is back', async () => {
    const bus = await open({ deliveryTimeoutMs: 1_000 });
    await bus.publish(READINGS, [{ key: 'dev-9', value: reading(run, 'dev-9', 1000) }]);
    await proxy.cut();
    const err: unknown = await bus.publish(READINGS, [{ key: 'dev-9', value: reading(run, 'dev-9', 1001) }]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'GANZHI_ERR_BUS_UNAVAILABLE', retryable: true });
    await proxy.restore();
    await expect(bus.publish(READINGS, [{ key: 'dev-9', value: reading(run, 'dev-9', 1002) }])).resolves.toBeUndefined();
  });
});
