import { afterAll, describe, expect, it } from 'vitest';
import { TOPIC_NAMES, type Reading } from '@ganzhi/schemas';
import { createKafkaBus, type Delivery, type KafkaBus } from '@ganzhi/bus';
import { createMetrics, instrumentBus } from '@ganzhi/metrics';
import { reportKafkaPeer, runTopicPrefix, startKafkaPeer, type KafkaPeer } from '@ganzhi/testkit';

/**
 * /metrics of a process on Kafka: the requests its bus sent to the brokers, by API, beside the
 * records it published and handled (round trips per record), read back through the registry.
 */
const topicPrefix = runTopicPrefix('metrics');
const start = await startKafkaPeer({ topics: TOPIC_NAMES.map((t) => `${topicPrefix}${t}`), partitions: 3 });
reportKafkaPeer('metrics on Kafka (test/kafka)', start);

let bus: KafkaBus | undefined;
let peer: KafkaPeer | undefined;
afterAll(async () => {
  await bus?.close();
  await peer?.stop();
});

const reading = (deviceId: string, seq: number): Reading => ({
  deviceId,
  kind: 'river_gauge',
  ts: 1_700_000_000_000 + seq,
  metrics: { level: { value: seq / 10, unit: 'm', quality: 'N' } },
  sourceId: `${topicPrefix}|${deviceId}|${seq}`,
  receivedAt: 1_700_000_000_005 + seq,
});

describe.skipIf(!start.peer)('metrics of a process on the Kafka bus', () => {
  it('counts the Produce and Fetch requests behind the records it published and handled', async () => {
    peer = start.peer!;
    bus = await createKafkaBus({ brokers: peer.brokers, topicPrefix, partitions: 3, consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitMs: 100 } });
    const metrics = createMetrics({ service: 'kafka-metrics-test', processMetrics: false });
    const instrumented = instrumentBus(bus, metrics);
    const n = 300;
    const seen = new Set<string>();
    await instrumented.subscribe('metrics-test', {
      'ganzhi.readings.v1': async (batch: readonly Delivery<Reading>[]) => {
        for (const d of batch) if (d.value.sourceId.startsWith(topicPrefix)) seen.add(d.value.sourceId);
      },
    });
    await Promise.all(Array.from({ length: n }, (_, i) => instrumented.publish('ganzhi.readings.v1', [{ key: `d${i % 6}`, value: reading(`d${i % 6}`, i) }])));
    for (let i = 0; i < 600 && seen.size < n; i++) await new Promise((r) => setTimeout(r, 50));
    expect(seen.size).toBe(n);

    const requests = async (api: string) => {
      const got = await metrics.registry.getSingleMetric('ganzhi_bus_kafka_requests_total')?.get();
      return got?.values.find((v) => v.labels.api === api)?.value ?? 0;
    };
    const produce = await requests('Produce');
    // batched: far fewer Produce requests than records, and exactly what the bus counted
    expect(produce).toBeGreaterThan(0);
    expect(produce).toBeLessThan(n / 10);
    expect(produce).toBe(bus.stats().requests.Produce);
    expect(await requests('Fetch')).toBeGreaterThan(0);
    expect(await requests('JoinGroup')).toBeGreaterThan(0);
    // a scrape adds only what happened since the last one
    const again = await requests('Produce');
    expect(again).toBe(bus.stats().requests.Produce);
  });
});

if (!start.peer) {
  describe.skip('metrics of a process on the Kafka bus', () => {
    it(`is skipped: ${start.reason}`, () => undefined);
  });
}
