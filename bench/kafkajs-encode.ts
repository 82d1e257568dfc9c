/**
 * What kafkajs' request encoding costs per request, with and without the encoder fix of
 * `packages/bus/src/kafka/kafkajs-fixes.ts` (buffers cut from a slab, not a zero-filled 512-byte
 * block per nested encoder): a produce request of 12 records (as the bus sends at 500 msg/s,
 * spread over two topics' partitions) and a fetch request of 12 partitions of two topics, each
 * framed as kafkajs frames a request. Runs the unfixed and the fixed encoder in child processes,
 * alternately, and prints µs of CPU per request and the GC time:
 *
 *   npx tsx bench/kafkajs-encode.ts [--rounds 3] [--requests 20000]
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { PerformanceObserver } from 'node:perf_hooks';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, requests: { type: 'string', default: '20000' }, child: { type: 'string' } } });

type Encode = () => Promise<{ buffer: Buffer }>;
async function child(fixed: boolean, n: number): Promise<void> {
  if (fixed) (await import('../packages/bus/src/kafka/kafkajs-fixes')).applyKafkajsFixes();
  const require = createRequire(import.meta.url);
  const frame = require('kafkajs/src/protocol/request.js') as (r: { correlationId: number; clientId: string; request: { apiKey: number; apiVersion: number; encode: Encode } }) => Promise<{ buffer: Buffer }>;
  const produce = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (o: object) => { apiKey: number; apiVersion: number; encode: Encode };
  const fetch = require('kafkajs/src/protocol/requests/fetch/v11/request.js') as (o: object) => { apiKey: number; apiVersion: number; encode: Encode };
  const value = Buffer.from(JSON.stringify({ deviceId: 'dev-000123', ts: 1764770000000, metrics: { temperature: 21.5, humidity: 40.25, battery: 3.71 }, site: 'site-07' }));
  const topics = ['ganzhi.raw.v1', 'ganzhi.readings.v1'];
  const produceRequest = () =>
    produce({
      acks: -1,
      timeout: 30_000,
      topicData: topics.map((topic) => ({
        topic,
        partitions: [0, 3, 5, 7, 9, 11].map((partition) => ({ partition, firstSequence: 0, messages: [0, 1].map((i) => ({ key: `dev-${partition}-${i}`, value })) })),
      })),
    });
  const fetchRequest = () =>
    fetch({ replicaId: -1, maxWaitTime: 500, minBytes: 1, maxBytes: 10485760, topics: topics.map((topic) => ({ topic, partitions: Array.from({ length: 12 }, (_, partition) => ({ partition, fetchOffset: '123456', maxBytes: 1048576 })) })), rackId: '' });
  let gc = 0;
  const obs = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) gc += e.duration;
  });
  obs.observe({ entryTypes: ['gc'] });
  const run = async (make: () => { apiKey: number; apiVersion: number; encode: Encode }, count: number) => {
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += (await frame({ correlationId: i, clientId: 'ganzhi', request: make() })).buffer.length;
    return bytes;
  };
  await run(produceRequest, 2_000);
  await run(fetchRequest, 2_000);
  const out: Record<string, number> = {};
  for (const [name, make] of [['produce', produceRequest], ['fetch', fetchRequest]] as const) {
    gc = 0;
    const t0 = process.cpuUsage();
    await run(make, n);
    await new Promise((r) => setImmediate(r));
    const t = process.cpuUsage(t0);
    out[name] = (t.user + t.system) / n;
    out[`${name}Gc`] = (gc * 1000) / n;
  }
  obs.disconnect();
  process.stdout.write(JSON.stringify(out));
}

if (values.child !== undefined) {
  await child(values.child === 'fixed', Number(values.requests));
} else {
  const rounds = Number(values.rounds);
  console.log('kafkajs request encoding, CPU µs per request (GC µs per request), unfixed / fixed, alternating child processes:');
  for (let r = 1; r <= rounds; r++) {
    const line: string[] = [];
    for (const kind of ['unfixed', 'fixed']) {
      const o = JSON.parse(execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, '--child', kind, '--requests', values.requests!], { encoding: 'utf8' })) as Record<string, number>;
      line.push(`${kind}: produce ${o.produce!.toFixed(1)} (${o.produceGc!.toFixed(1)}), fetch ${o.fetch!.toFixed(1)} (${o.fetchGc!.toFixed(1)})`);
    }
    console.log(`  round ${r}: ${line.join('; ')}`);
  }
}
