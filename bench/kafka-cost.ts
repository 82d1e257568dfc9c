/**
 * Where the Kafka-mode pipeline's CPU per message goes, at a fixed offered rate: the pipeline on
 * `startKafkaPeer()` (the librdkafka mock here), one window, then a drain. Prints the pipeline's
 * and the peer's CPU per acknowledged message, the CPU until the backlog is drained again (a
 * fair figure when the rate is not held), the bus's requests per message by API, records per
 * produce request, and optionally a CPU profile summary of the window. A diagnostic beside
 * `npm run bench -- --only kafka`, which prints the figures that count:
 *
 *   npx tsx bench/kafka-cost.ts [--rate 500] [--seconds 15] [--devices 1000] [--profile out.cpuprofile] [--embedded]
 *
 * KCOST_ENV="K=V K2=V2" adds environment variables to the pipeline.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TOPIC_NAMES } from '@ganzhi/schemas';
import { startKafkaPeer } from '@ganzhi/testkit';
import { summariseProfile } from './lib/cpuprofile';
import { startProfiler } from './lib/inspector';
import { cpuMeter, freePort, sleep } from './lib/proc';
import { writeBenchRegistry } from './lib/registry';
import { startPipeline } from './lib/targets';
import { startFleet } from './load/fleet';
import { backlogOf } from './scenarios/measure';
import { percentile } from './lib/hist';

function numbers(o: unknown, prefix = '', out = new Map<string, number>()): Map<string, number> {
  if (o && typeof o === 'object') {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'number') out.set(prefix + k, v);
      else numbers(v, `${prefix}${k}.`, out);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '500' },
      seconds: { type: 'string', default: '15' },
      settle: { type: 'string', default: '5' },
      devices: { type: 'string', default: '1000' },
      profile: { type: 'string' },
      embedded: { type: 'boolean', default: false },
    },
  });
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const n = Number(values.devices);
  const env: Record<string, string> = process.env.KCOST_ENV ? Object.fromEntries(process.env.KCOST_ENV.split(' ').map((kv) => kv.split('=') as [string, string])) : {};
  const dir = await mkdtemp(join(tmpdir(), 'ganzhi-kcost-'));
  const peer = values.embedded ? undefined : (await startKafkaPeer({ topics: TOPIC_NAMES, partitions: 12 })).peer;
  if (!values.embedded && !peer) throw new Error('no Kafka peer');
  const peerPid = peer?.kind === 'mock' ? Number(/pid (\d+)/.exec(peer.description)?.[1]) || undefined : undefined;
  try {
    const reg = await writeBenchRegistry(dir, n);
    const inspectPort = values.profile ? await freePort() : undefined;
    const target = await startPipeline({
      name: 'pipeline',
      dataDir: join(dir, 'data'),
      registryFile: reg.file,
      operator: reg.operator,
      sync: 'fsync',
      ...(peer ? { kafkaBrokers: peer.brokers } : {}),
      ...(inspectPort ? { inspectPort } : {}),
      env,
    });
    const stats = async () => numbers(await target.stats!());
    const fleet = await startFleet(reg.devices.slice(0, n), 2);
    try {
      await fleet.connect(target, 4);
      fleet.setRate(rate);
      await sleep(Number(values.settle) * 1000);
      const profiler = inspectPort ? await startProfiler(inspectPort) : undefined;
      const s0 = await stats();
      const c0 = await target.counters!();
      const m0 = await fleet.mark();
      const cpu = cpuMeter([target.pid]);
      const cpuAll = cpuMeter([target.pid]);
      const peerCpu = peerPid ? cpuMeter([peerPid]) : undefined;
      const t0 = performance.now();
      await sleep(seconds * 1000);
      const secs = (performance.now() - t0) / 1000;
      const cores = cpu.stop();
      const peerCores = peerCpu?.stop();
      const m1 = await fleet.mark();
      const c1 = await target.counters!();
      const s1 = await stats();
      const profile = await profiler?.stop();
      profiler?.close();
      const acked = (m1.acked - m0.acked) / secs;
      // Drain: stop publishing, wait for the backlog to empty; CPU from the window start to then.
      fleet.setRate(0);
      await fleet.stop(10_000);
      const td = performance.now();
      let backlog = backlogOf(await target.counters!());
      while (backlog > 0 && performance.now() - td < 15_000) {
        await sleep(250);
        backlog = backlogOf(await target.counters!());
      }
      const drainS = (performance.now() - td) / 1000;
      const allCoreSeconds = cpuAll.stop() * (performance.now() - t0) / 1000;
      const handled = backlogOf(c0) + (m1.acked - m0.acked);
      const us = (x: number) => x.toFixed(0).padStart(5);
      console.log(`${peer ? `Kafka (${peer.description})` : 'embedded'}; ${rate} msg/s offered, ${acked.toFixed(0)} acked/s over ${secs.toFixed(1)} s; load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
      console.log(`  pipeline CPU ${cores.toFixed(3)} cores = ${us((cores / acked) * 1e6)} µs/msg${peerCores !== undefined ? `; peer ${peerCores.toFixed(3)} cores = ${us((peerCores / acked) * 1e6)} µs/msg` : ''}`);
      console.log(`  PUBACK p50 ${percentile(m1.hist, 50)?.toFixed(1)} ms p99 ${percentile(m1.hist, 99)?.toFixed(1)} ms; rules read ${((c1.rulesRead - c0.rulesRead) / secs).toFixed(0)}/s, rules lag ${c0.accepted - c0.rulesRead} -> ${c1.accepted - c1.rulesRead}; signals ${((c1.signals - c0.signals) / secs).toFixed(1)}/s`);
      console.log(`  stored ${((c1.stored - c0.stored) / secs).toFixed(0)}/s, writer batch ${((c1.stored - c0.stored) / Math.max(1, c1.writerBatches - c0.writerBatches)).toFixed(1)}, backlog ${backlogOf(c0)} -> ${backlogOf(c1)}, drained in ${drainS.toFixed(1)} s (left ${backlog})`);
      console.log(`  CPU from window start to drained: ${allCoreSeconds.toFixed(2)} core-s for ${handled} messages = ${us((allCoreSeconds / handled) * 1e6)} µs/msg`);
      const perMsg = (k: string) => ((s1.get(k) ?? 0) - (s0.get(k) ?? 0)) / (acked * secs);
      const keys = [...s1.keys()].filter((k) => k.startsWith('bus.') && (s1.get(k) ?? 0) !== (s0.get(k) ?? 0));
      for (const k of keys) console.log(`  ${k.padEnd(40)} ${perMsg(k).toFixed(3)} /msg`);
      const recs = (s1.get('bus.producer.records') ?? 0) - (s0.get('bus.producer.records') ?? 0);
      const batches = (s1.get('bus.producer.batches') ?? 0) - (s0.get('bus.producer.batches') ?? 0);
      if (batches > 0) console.log(`  records per produce batch ${(recs / batches).toFixed(1)}`);
      if (profile) {
        await writeFile(values.profile!, JSON.stringify(profile));
        const sum = summariseProfile(profile, 40);
        console.log(`  profile: busy ${(sum.busyMs / sum.totalMs * 100).toFixed(0)} % of ${sum.totalMs.toFixed(0)} ms`);
        console.log('  areas:');
        for (const a of sum.areas.slice(0, 15)) console.log(`    ${(a.share * 100).toFixed(1).padStart(5)} %  ${a.name}`);
        console.log('  functions:');
        for (const f of sum.functions.slice(0, 40)) console.log(`    ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name}  [${f.area}]`);
        console.log('  own, inclusive:');
        for (const f of sum.ownInclusive.slice(0, 25)) console.log(`    ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name}`);
      }
    } finally {
      await fleet.close();
      await target.stop();
    }
  } finally {
    await peer?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
