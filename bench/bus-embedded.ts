/**
 * Embedded bus throughput: single-record publishes from 1, 100 and 1000 concurrent publishers
 * (each waits for its publish to resolve before the next, as an MQTT QoS 1 session does), for
 * sync=fsync and sync=write, then the rate at which one group consumes what was published.
 *
 *   npx tsx bench/bus-embedded.ts [seconds per run, default 2]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedBus, type Delivery } from '@ganzhi/bus';
import type { RawEnvelope } from '@ganzhi/schemas';

const seconds = Number(process.argv[2] ?? 2);
const payload = JSON.stringify({ level: 3.27, rain_1h: 12.5, battery: 3.61, rssi: -71, ts: 1_700_000_000_000 });

function raw(i: number): RawEnvelope {
  const deviceId = `rg-${String(i % 500).padStart(4, '0')}`;
  return {
    id: `msg-${i}`,
    deviceId,
    kind: 'river_gauge',
    format: 'json',
    topic: `devices/${deviceId}/telemetry`,
    receivedAt: 1_700_000_000_000 + i,
    encoding: 'utf8',
    payload,
  };
}

interface Run {
  sync: 'fsync' | 'write';
  publishers: number;
  records: number;
  perSecond: number;
  fsyncs: number;
  writes: number;
  consumePerSecond: number;
}

async function run(sync: 'fsync' | 'write', publishers: number): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), 'ganzhi-bench-bus-'));
  try {
    const bus = await createEmbeddedBus({ dir, sync });
    let next = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: publishers }, async () => {
        while (performance.now() < deadline) {
          const value = raw(next++);
          await bus.publish('ganzhi.raw.v1', [{ key: value.deviceId, value }]);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const records = next;
    const stats = bus.stats();

    let consumed = 0;
    const consumeStart = performance.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${consumed} of ${records} in 60 s`)), 60_000);
      void bus
        .subscribe('bench', {
          'ganzhi.raw.v1': async (batch: readonly Delivery<RawEnvelope>[]) => {
            consumed += batch.length;
            if (consumed >= records) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    const consumeElapsed = (performance.now() - consumeStart) / 1000;
    await bus.close();
    return {
      sync,
      publishers,
      records,
      perSecond: Math.round(records / elapsed),
      fsyncs: stats.fsyncs,
      writes: stats.writes,
      consumePerSecond: Math.round(consumed / consumeElapsed),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`embedded bus, ${seconds} s per run, one ~${JSON.stringify(raw(0)).length}-byte ganzhi.raw.v1 record per publish`);
  console.log('sync   publishers   records   publish rec/s   writes   fsyncs   rec/fsync   consume rec/s');
  for (const sync of ['fsync', 'write'] as const) {
    for (const publishers of [1, 100, 1000]) {
      const r = await run(sync, publishers);
      const perSync = r.fsyncs ? (r.records / r.fsyncs).toFixed(1) : '-';
      console.log(
        `${r.sync.padEnd(6)} ${String(r.publishers).padStart(10)} ${String(r.records).padStart(9)} ${String(r.perSecond).padStart(15)} ` +
          `${String(r.writes).padStart(8)} ${String(r.fsyncs).padStart(8)} ${perSync.padStart(11)} ${String(r.consumePerSecond).padStart(15)}`,
      );
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
