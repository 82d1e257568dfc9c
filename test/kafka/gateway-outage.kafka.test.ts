import { afterAll, describe, expect, it } from 'vitest';
import { TOPIC_NAMES } from '@ganzhi/schemas';
import { reportKafkaPeer, runTopicPrefix, startKafkaPeer, startKafkaProxy, type KafkaPeer, type KafkaProxy } from '@ganzhi/testkit';
import { connect, end } from '../helpers/mqtt';
import { eventually, startPipeline, type RunningPipeline } from '../helpers/pipeline';

/**
 * Kafka briefly unavailable under the whole pipeline: the gateway withholds PUBACKs while the
 * cluster is unreachable, loses nothing it acknowledged, and recovers by itself when it returns.
 * The pipeline reaches the peer (KAFKA_BROKERS, or the mock) through a Kafka-aware proxy of the
 * test's own, which is cut and restored.
 */
const topicPrefix = runTopicPrefix('gw-outage');
const start = await startKafkaPeer({ topics: TOPIC_NAMES.map((t) => `${topicPrefix}${t}`), partitions: 3 });
reportKafkaPeer('gateway outage (test/kafka)', start);
const skip = !start.peer;

let p: RunningPipeline | undefined;
let peer: KafkaPeer | undefined;
let proxy: KafkaProxy | undefined;
afterAll(async () => {
  await proxy?.restore().catch(() => undefined);
  await p?.stop();
  await proxy?.close();
  await peer?.stop();
});

describe.skipIf(skip)('the gateway when Kafka is briefly unavailable', () => {
  it('withholds PUBACKs during the outage, then acknowledges and stores every message once, without a restart', async () => {
    peer = start.peer!;
    proxy = await startKafkaProxy({ bootstrap: peer.brokers });
    p = await startPipeline({
      env: { GANZHI_BUS: 'kafka', KAFKA_BROKERS: proxy.brokers.join(','), KAFKA_TOPIC_PREFIX: topicPrefix, KAFKA_PARTITIONS: '3', KAFKA_SESSION_TIMEOUT_MS: '6000' },
    });
    const device = await connect(p.mqttUrl, 'air-001', undefined, { keepalive: 600 });
    const base = Date.UTC(2026, 10, 3);
    const send = (i: number) =>
      new Promise<number>((resolve, reject) =>
        device.publish('devices/air-001/telemetry', JSON.stringify({ ts: base + i * 1000, pm25: i }), { qos: 1 }, (err) => (err ? reject(err) : resolve(Date.now()))),
      );
    try {
      for (let i = 0; i < 10; i++) await send(i);

      await proxy.cut();
      const downAt = Date.now();
      const during = Array.from({ length: 10 }, (_, k) => send(10 + k));
      let acked = 0;
      for (const d of during) void d.then(() => acked++);
      await new Promise((r) => setTimeout(r, 3000));
      expect(acked).toBe(0); // nothing is acknowledged while the bus cannot take it
      expect(device.connected).toBe(true);

      await proxy.restore();
      const ackTimes = await Promise.all(during);
      expect(Math.min(...ackTimes)).toBeGreaterThan(downAt + 3000);
      for (let i = 20; i < 25; i++) await send(i); // and the gateway goes on as before

      const buckets = await eventually(
        async () => {
          const b = await p!.store.range({ deviceId: 'air-001', metric: 'pm25', from: base, to: base + 25_000, bucketMs: 1000 });
          return b.length === 25 && b;
        },
        90_000,
        'all 25 readings to be stored',
      );
      expect(buckets.map((b) => b.count)).toEqual(Array(25).fill(1));
    } finally {
      await end(device);
    }
  }, 180_000);
});
