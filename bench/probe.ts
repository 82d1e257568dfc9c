/**
 * Where the pipeline's CPU goes at a fixed offered rate, by thread: CPU cores and wakeups
 * (voluntary context switches) per second of every thread of the pipeline process, from
 * /proc/<pid>/task, plus the embedded bus's writes and syncs per second. A diagnostic for the
 * city-rates work (`npm run bench -- --only city` prints the figures that count):
 *
 *   npx tsx bench/probe.ts [rates=100,1000] [seconds=15] [devices=1000]
 */
import { readdir, readFile } from 'node:fs/promises';
import { sleep } from './lib/proc';
import { withProbePipeline } from './lib/probe-run';

interface ThreadSample {
  name: string;
  ticks: number;
  wakeups: number;
}

const HZ = 100;

async function threads(pid: number): Promise<Map<string, ThreadSample>> {
  const out = new Map<string, ThreadSample>();
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    try {
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = await readFile(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const wake = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
      out.set(tid, { name: tid === String(pid) ? 'main' : `${name}:${tid}`, ticks: Number(f[11]) + Number(f[12]), wakeups: wake });
    } catch {
      // The thread ended.
    }
  }
  return out;
}

/** The embedded bus's counters that say how often it touches the disk (GET /api/stats `bus`). */
async function busCounters(target: { stats?: () => Promise<Record<string, unknown>> }): Promise<{ writes: number; fsyncs: number; records: number }> {
  const bus = ((await target.stats?.().catch(() => undefined))?.bus ?? {}) as Record<string, number | undefined>;
  return { writes: bus.writes ?? 0, fsyncs: bus.fsyncs ?? 0, records: bus.records ?? 0 };
}

async function main(): Promise<void> {
  const rates = (process.argv[2] ?? '100,1000').split(',').map(Number);
  const seconds = Number(process.argv[3] ?? 15);
  const n = Number(process.argv[4] ?? 1000);
  await withProbePipeline({ devices: n }, async ({ target, fleet }) => {
    for (const rate of rates) {
      fleet.setRate(rate);
      await sleep(3000);
      const b0 = await busCounters(target);
      const t0 = await threads(target.pid);
      const m0 = await fleet.mark();
      const start = performance.now();
      await sleep(seconds * 1000);
      const t1 = await threads(target.pid);
      const m1 = await fleet.mark();
      const b1 = await busCounters(target);
      const secs = (performance.now() - start) / 1000;
      const acked = (m1.acked - m0.acked) / secs;
      const byName = new Map<string, { cores: number; wakeups: number; n: number }>();
      for (const [tid, s1] of t1) {
        const s0 = t0.get(tid) ?? { ticks: 0, wakeups: 0 };
        const e = byName.get(s1.name) ?? { cores: 0, wakeups: 0, n: 0 };
        e.cores += (s1.ticks - s0.ticks) / HZ / secs;
        e.wakeups += (s1.wakeups - s0.wakeups) / secs;
        e.n++;
        byName.set(s1.name, e);
      }
      let cores = 0;
      let wake = 0;
      for (const e of byName.values()) {
        cores += e.cores;
        wake += e.wakeups;
      }
      console.log(`\n${rate} msg/s offered, ${acked.toFixed(0)} acked/s: ${cores.toFixed(3)} cores (${((cores / Math.max(acked, 1)) * 1e6).toFixed(0)} us/msg), ${wake.toFixed(0)} wakeups/s (${(wake / Math.max(acked, 1)).toFixed(1)}/msg)`);
      const per = (k: 'writes' | 'fsyncs' | 'records') => (b1[k] - b0[k]) / secs;
      console.log(`  bus: ${per('records').toFixed(0)} records, ${per('writes').toFixed(0)} writes, ${per('fsyncs').toFixed(0)} fsyncs a second (${(per('fsyncs') / Math.max(acked, 1)).toFixed(2)} fsyncs/msg)`);
      for (const [name, e] of [...byName].sort((a, b) => b[1].cores - a[1].cores)) {
        if (e.cores < 0.001 && e.wakeups < 1) continue;
        console.log(`  ${name.padEnd(18)} x${String(e.n).padEnd(3)} ${e.cores.toFixed(3)} cores  ${e.wakeups.toFixed(0).padStart(6)} wakeups/s  ${(e.wakeups / Math.max(acked, 1)).toFixed(2)}/msg`);
      }
    }
  });
}

await main();
