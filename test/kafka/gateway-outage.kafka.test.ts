import { afterAll, describe, expect, it } from 'vitest';
import { TOPIC_NAMES } from '@ganzhi/schemas';
import { reportKafkaPeer, startKafkaPeer, type KafkaPeer } from '@ganzhi/testkit';
import { connect, end } from '../helpers/mqtt';
import { eventually, startPipeline, type RunningPipeline } from '../helpers/pipeline';

/**
 * Kafka briefly unavailable under the whole pipeline: the gateway withholds PUBACKs while the
 * broker is down, loses nothing it acknowledged, and recovers by itself when the broker returns.
 * Needs the mock cluster's fault injection (skipped, with the reason, on other peers).
 */
const start = await startKafkaPeer({ topics: TOPIC_NAMES, partitions: 3, env: { ...process.env, GANZHI_KAFKA_PEER: 'mock' } });
reportKafkaPeer('gateway outage (test/kafka)', start);
const skip = !start.peer?.control;
if (start.peer && skip) console.warn('[kafka] gateway outage: SKIPPED, the peer has no fault injection');

let p: RunningPipeline | undefined;
let peer: KafkaPeer | undefined;
afterAll(async () => {
  await peer?.control?.brokerUp(-1).catch(() => undefined);
  await p?.stop();
  await peer?.stop();
});

describe.skipIf(skip)('the gateway when Kafka is briefly unavailable', () => {
  it('withholds PUBACKs during the outage, then acknowledges and stores every message once, without a restart', async () => {
    peer = start.peer!;
    p = await startPipeline({ env: { GANZHI_BUS: 'kafka', KAFKA_BROKERS: peer.brokers.join(','), KAFKA_PARTITIONS: '3', KAFKA_SESSION_TIMEOUT_MS: '6000' } });
    const device = await connect(p.mqttUrl, 'air-001', undefined, { keepalive: 600 });
    const base = Date.UTC(2026, 10, 3);
    const send = (i: number) =>
      new Promise<number>((resolve, reject) =>
        device.publish('devices/air-001/telemetry', JSON.stringify({ ts: base + i * 1000, pm25: i }), { qos: 1 }, (err) => (err ? reject(err) : resolve(Date.now()))),
      );
    try {
      for (let i = 0; i < 10; i++) await send(i);

      await peer.control!.brokerDown(-1);
      const downAt = Date.now();
      const during = Array.from({ length: 10 }, (_, k) => send(10 + k));
      let acked = 0;
      for (const d of during) void d.then(() => acked++);
      await new Promise((r) => setTimeout(r, 3000));
      expect(acked).toBe(0); // nothing is acknowledged while the bus cannot take it
      expect(device.connected).toBe(true);

      await peer.control!.brokerUp(-1);
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
