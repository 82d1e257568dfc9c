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
 * With rate 0, everyone connects and `rounds` idle windows are measured.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet, type Fleet } from './load/fleet';
import { memoryMb, sleep } from './lib/proc';
import { writeBenchRegistry } from './lib/registry';
import { startPipeline, type Target } from './lib/targets';

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
  const rate = Number(process.argv[4] ?? 100);
  const seconds = Number(process.argv[5] ?? 15);
  const rounds = Number(process.argv[6] ?? 2);
  const dir = await mkdtemp(join(tmpdir(), 'ganzhi-probe-conn-'));
  try {
    const reg = await writeBenchRegistry(dir, publishersN + othersN);
    const target = await startPipeline({ name: 'pipeline', dataDir: join(dir, 'data'), registryFile: reg.file, operator: reg.operator, sync: 'fsync', env: process.env.PROBE_ENV ? Object.fromEntries(process.env.PROBE_ENV.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) : {} });
    const publishers = await startFleet(reg.devices.slice(0, publishersN), 2);
    const others = await startFleet(reg.devices.slice(publishersN), 2);
    const all = publishersN + othersN;
    try {
      await publishers.connect(target, 4);
      if (rate === 0) {
        // Idle: everyone connected, nobody publishes (a fleet's rate 0 would be its closed loop).
        await others.connect(target, 1);
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

await main();
