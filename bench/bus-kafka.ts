/**
 * Kafka bus throughput: publish records/s with 1, 100 and 1000 concurrent publishers (each
 * publishing one record per call, as a QoS 1 gateway does), then the consume rate of one group
 * reading everything back.
 *
 *   npx tsx bench/bus-kafka.ts [secondsPerStep=3]
 *
 * Uses KAFKA_BROKERS when set, else starts the librdkafka mock cluster (see packages/testkit).
 * Each publish step stops after `secondsPerStep` or STEP_CAP records, whichever comes first: the
 * mock keeps only about 5 MiB per partition (older records are dropped), so the consume step must
 * find everything still there.
 */
import { TOPIC_NAMES } from '@ganzhi/schemas';
import type { Reading } from '@ganzhi/schemas';
import { createKafkaBus } from '@ganzhi/bus';
import type { Delivery, KafkaBus } from '@ganzhi/bus';
import { startKafkaPeer } from '@ganzhi/testkit';

const PARTITIONS = 12;
const seconds = Number(process.argv[2] ?? 3);
const STEP_CAP = 100_000;

function reading(run: string, deviceId: string, seq: number): Reading {
  const ts = 1_700_000_000_000 + seq;
  return { deviceId, kind: 'river_gauge', ts, metrics: { level: { value: seq / 10, unit: 'm', quality: 'N' } }, sourceId: `${run}|${seq}`, receivedAt: ts + 5 };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function publishStep(bus: KafkaBus, run: string, concurrency: number, ms: number, base: number): Promise<number> {
  const before = bus.stats().producer;
  const latencies: number[] = [];
  let seq = 0;
  const deadline = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      const device = `dev-${w % 500}`;
      while (performance.now() < deadline && seq < STEP_CAP) {
        const s = seq++;
        const t = performance.now();
        await bus.publish('ganzhi.readings.v1', [{ key: device, value: reading(run, device, base + s) }]);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const after = bus.stats().producer;
  const requests = after.produceRequests - before.produceRequests;
  latencies.sort((a, b) => a - b);
  console.log(
    `publish  c=${String(concurrency).padStart(4)}  ${Math.round(seq / elapsed).toLocaleString('en').padStart(8)} rec/s` +
      `  ${seq.toLocaleString('en').padStart(7)} records in ${requests.toLocaleString('en').padStart(5)} produce requests` +
      ` (${(seq / Math.max(1, requests)).toFixed(1)} rec/req)  latency p50 ${percentile(latencies, 50).toFixed(1)} ms  p99 ${percentile(latencies, 99).toFixed(1)} ms`,
  );
  return seq;
}

async function consumeStep(bus: KafkaBus, run: string, total: number): Promise<void> {
  let seen = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const t0 = performance.now();
  let first = 0;
  const sub = await bus.subscribe(
    `bench-consume-${run}`,
    {
      'ganzhi.readings.v1': async (batch: readonly Delivery<Reading>[]) => {
        if (first === 0) first = performance.now();
        for (const d of batch) if (d.value.sourceId.startsWith(`${run}|`)) seen++;
        if (seen >= total) done();
      },
    },
    { maxBatch: 1000 },
  );
  const joined = performance.now();
  const timeout = setTimeout(done, 120_000);
  await finished;
  clearTimeout(timeout);
  const end = performance.now();
  await sub.close();
  console.log(
    `consume  one group  ${Math.round(seen / ((end - joined) / 1000)).toLocaleString('en').padStart(8)} rec/s  ` +
      `${seen.toLocaleString('en')} of ${total.toLocaleString('en')} records in ${((end - joined) / 1000).toFixed(2)} s after the group joined (join took ${((joined - t0) / 1000).toFixed(1)} s)`,
  );
}

async function main(): Promise<void> {
  const start = await startKafkaPeer({ topics: TOPIC_NAMES, partitions: PARTITIONS });
  if (!start.peer) {
    console.error(`no Kafka peer: ${start.reason}`);
    process.exitCode = 1;
    return;
  }
  const peer = start.peer;
  console.log(`peer: ${peer.description}`);
  console.log(`node ${process.version}, ${PARTITIONS} partitions, batch defaults (500 records / 1 MiB / linger 2 ms), ${seconds} s per step`);
  const bus = await createKafkaBus({ brokers: peer.brokers, partitions: PARTITIONS, consumer: { maxWaitMs: 100 } });
  const run = `bench${Date.now().toString(36)}`;
  try {
    let total = 0;
    for (const c of [1, 100, 1000]) total += await publishStep(bus, run, c, seconds * 1000, total);
    await consumeStep(bus, run, total);
  } finally {
    await bus.close();
    await peer.stop();
  }
}

await main();
