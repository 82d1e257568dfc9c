/**
 * What connected devices cost at a fixed message rate, apart from how many distinct devices
 * publish: one pipeline process, `publishers` devices connected first, then `others` more; the
 * same offered `rate` throughout, in alternating windows:
 *   A  only the publishers connected, they publish;
 *   X  everyone connected, only the publishers publish (the others idle);
 *   Y  everyone connected, everyone publishes (the same total rate, spread over all).
 * X - A is the cost of idle connections at that rate; Y - X the cost of more distinct publishers.
 * Per window: CPU of the whole process and of its main thread, user and system time apart
 * (/proc), and RSS. A diagnostic for issue 20's 10,000-device figures
 * (`npm run bench -- --only city` prints the figures that count):
 *
 *   npx tsx bench/probe-conn.ts [publishers=1000] [others=9000] [rate=100] [seconds=15] [rounds=2]
 *
 * With rate 0, everyone connects and `rounds` idle windows are measured. PROBE_KEEPALIVE=60: the
 * devices connect with that MQTT keep-alive and send PINGREQ when silent that long (as real
 * devices do; the bench's default is keep-alive 0). PROBE_TARGET=aedes: the bare Aedes broker. With rate `mem`, memory
 * per idle connection after a full garbage collection (bench/lib/heap-probe.mjs preloaded into the
 * target): JS heap, external and RSS with `publishers` connected, then with everyone; set
 * PROBE_TARGET=aedes for the bare Aedes broker.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFleet, type Fleet } from './load/fleet';
import { memoryMb, sleep } from './lib/proc';
import { writeBenchRegistry } from './lib/registry';
import { startAedes, startPipeline, type Target } from './lib/targets';

const HEAP_PROBE = fileURLToPath(new URL('./lib/heap-probe.mjs', import.meta.url));

const HZ = 100;

interface Ticks {
  user: number;
  sys: number;
}

async function stat(path: string): Promise<Ticks> {
  const stat = await readFile(path, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]), sys: Number(f[12]) };
}

/** The whole process (its threads that ended included) and its main thread. */
async function ticks(pid: number): Promise<{ all: Ticks; main: Ticks }> {
  return { all: await stat(`/proc/${pid}/stat`), main: await stat(`/proc/${pid}/task/${pid}/stat`) };
}

async function window(label: string, target: Target, publishers: Fleet, seconds: number, others?: Fleet): Promise<void> {
  await sleep(3000);
  const acked = async () => (await publishers.mark()).acked + (others ? (await others.mark()).acked : 0);
  const t0 = await ticks(target.pid);
  const a0 = await acked();
  const start = performance.now();
  await sleep(seconds * 1000);
  const t1 = await ticks(target.pid);
  const a1 = await acked();
  const secs = (performance.now() - start) / 1000;
  const c = (a: number, b: number) => ((b - a) / HZ / secs).toFixed(3);
  const rss = memoryMb(target.pid)?.rss ?? 0;
  console.log(
    `${label.padEnd(34)} ${(Date.now() / 1000 - secs).toFixed(0)}-${(Date.now() / 1000).toFixed(0)} acked ${((a1 - a0) / secs).toFixed(0).padStart(4)}/s  ` +
      `all ${c(t0.all.user + t0.all.sys, t1.all.user + t1.all.sys)} (usr ${c(t0.all.user, t1.all.user)} sys ${c(t0.all.sys, t1.all.sys)})  ` +
      `main ${c(t0.main.user + t0.main.sys, t1.main.user + t1.main.sys)} (usr ${c(t0.main.user, t1.main.user)} sys ${c(t0.main.sys, t1.main.sys)})  rss ${rss.toFixed(0)} MB`,
  );
}

async function main(): Promise<void> {
  const publishersN = Number(process.argv[2] ?? 1000);
  const othersN = Number(process.argv[3] ?? 9000);
  if (process.argv[4] === 'mem') return memory(publishersN, othersN);
  const rate = Number(process.argv[4] ?? 100);
  const seconds = Number(process.argv[5] ?? 15);
  const rounds = Number(process.argv[6] ?? 2);
  const keepalive = Number(process.env.PROBE_KEEPALIVE ?? 0);
  const dir = await mkdtemp(join(tmpdir(), 'ganzhi-probe-conn-'));
  try {
    const reg = await writeBenchRegistry(dir, publishersN + othersN);
    const target = process.env.PROBE_TARGET === 'aedes' ? await startAedes() : await startPipeline({ name: 'pipeline', dataDir: join(dir, 'data'), registryFile: reg.file, operator: reg.operator, sync: 'fsync', env: process.env.PROBE_ENV ? Object.fromEntries(process.env.PROBE_ENV.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) : {} });
    const publishers = await startFleet(reg.devices.slice(0, publishersN), 2);
    const others = await startFleet(reg.devices.slice(publishersN), 2);
    const all = publishersN + othersN;
    try {
      await publishers.connect(target, 4, 100, keepalive);
      if (rate === 0) {
        // Idle: everyone connected, nobody publishes (a fleet's rate 0 would be its closed loop).
        await others.connect(target, 1, 100, keepalive);
        for (let r = 0; r < rounds; r++) await window(`I ${all} connected, idle`, target, publishers, seconds, others);
        return;
      }
      publishers.setRate(rate);
      await window(`A ${publishersN} connected, all publish`, target, publishers, seconds);
      const c = await others.connect(target, 4);
      console.log(`  (${c.connected} more connected in ${(c.ms / 1000).toFixed(1)} s)`);
      for (let r = 0; r < rounds; r++) {
        await others.stop(10_000);
        publishers.setRate(rate);
        await window(`X ${all} connected, ${publishersN} publish`, target, publishers, seconds, others);
        publishers.setRate((rate * publishersN) / all);
        others.setRate((rate * othersN) / all);
        await window(`Y ${all} connected, all publish`, target, publishers, seconds, others);
      }
      await others.stop(10_000);
      await publishers.stop(10_000);
    } finally {
      await others.close();
      await publishers.close();
      await target.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface Heap {
  heapUsed: number;
  external: number;
  rss: number;
}

/** The target's memory after a full collection (it runs bench/lib/heap-probe.mjs). */
async function heapOf(pid: number, out: string): Promise<Heap> {
  const file = `${out}.${pid}`;
  const before = await readFile(file, 'utf8').catch(() => '');
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 1200; i++) {
    await sleep(100);
    const text = await readFile(file, 'utf8').catch(() => '');
    if (text.length > before.length) return JSON.parse(text.trim().split('\n').pop()!) as Heap;
  }
  throw new Error('the target wrote no heap figures (is bench/lib/heap-probe.mjs preloaded?)');
}

async function memory(publishersN: number, othersN: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ganzhi-probe-conn-'));
  // HEAP_PROBE_OUT set: the figures (and with HEAP_PROBE_SNAPSHOT=1, heap snapshots) are kept there.
  const out = process.env.HEAP_PROBE_OUT ?? join(dir, 'heap');
  try {
    const reg = await writeBenchRegistry(dir, publishersN + othersN);
    const saved = { NODE_OPTIONS: process.env.NODE_OPTIONS, HEAP_PROBE_OUT: process.env.HEAP_PROBE_OUT };
    process.env.NODE_OPTIONS = `${saved.NODE_OPTIONS ?? ''} --import=${HEAP_PROBE}`.trim();
    process.env.HEAP_PROBE_OUT = out;
    let target: Target;
    try {
      target = process.env.PROBE_TARGET === 'aedes' ? await startAedes() : await startPipeline({ name: 'pipeline', dataDir: join(dir, 'data'), registryFile: reg.file, operator: reg.operator, sync: 'fsync' });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    const first = await startFleet(reg.devices.slice(0, publishersN), 2);
    const rest = await startFleet(reg.devices.slice(publishersN), 2);
    const mb = (b: number) => (b / 1e6).toFixed(1);
    const show = (label: string, h: Heap) => console.log(`${label.padEnd(26)} heap ${mb(h.heapUsed)} MB  external ${mb(h.external)} MB  rss ${mb(h.rss)} MB`);
    try {
      await sleep(2000);
      show('0 connected', await heapOf(target.pid, out));
      await first.connect(target, 1);
      await sleep(3000);
      const h1 = await heapOf(target.pid, out);
      show(`${publishersN} connected`, h1);
      const c = await rest.connect(target, 1);
      await sleep(3000);
      const h2 = await heapOf(target.pid, out);
      show(`${publishersN + c.connected} connected`, h2);
      const per = (k: keyof Heap) => (((h2[k] - h1[k]) / c.connected) / 1024).toFixed(1);
      console.log(`per connection (${target.name}, the last ${c.connected}): heap ${per('heapUsed')} KB, external ${per('external')} KB, rss ${per('rss')} KB`);
    } finally {
      await rest.close();
      await first.close();
      await target.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
