/**
 * Who allocates, per message: V8's sampling heap profiler over the pipeline's main thread at a
 * fixed offered rate, counting objects that a scavenge or a major GC has already collected too
 * (the garbage is the point: it is what the scavenges copy and what survives into old space).
 * A diagnostic for the city-rates work, beside `bench/probe.ts`:
 *
 *   npx tsx bench/alloc-probe.ts [rate=1000] [seconds=15] [devices=1000] [top=30] [all|survivors]
 *
 * `survivors` leaves out what scavenges collected: what is left is what lived long enough to be
 * promoted to old space (or was still young at the end), the work of the major GCs.
 */
import { areaOf } from './lib/cpuprofile';
import { openInspector } from './lib/inspector';
import { freePort, sleep } from './lib/proc';
import { withProbePipeline } from './lib/probe-run';

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/** Self bytes by function and by area; an area is charged to the nearest frame outside Node's own code. */
export function summariseAllocations(head: SamplingNode): { fns: Map<string, { area: string; bytes: number }>; areas: Map<string, number>; total: number } {
  const fns = new Map<string, { area: string; bytes: number }>();
  const areas = new Map<string, number>();
  let total = 0;
  const walk = (n: SamplingNode, owner: string) => {
    const { functionName, url, lineNumber } = n.callFrame;
    const mine = url && !url.startsWith('node:') ? areaOf(url, functionName) : owner;
    if (n.selfSize > 0) {
      total += n.selfSize;
      const name = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/(packages|services)\//, '$1/')}:${lineNumber + 1}`;
      const f = fns.get(name) ?? { area: mine, bytes: 0 };
      f.bytes += n.selfSize;
      fns.set(name, f);
      areas.set(mine, (areas.get(mine) ?? 0) + n.selfSize);
    }
    for (const c of n.children) walk(c, mine);
  };
  walk(head, '(root)');
  return { fns, areas, total };
}

async function main(): Promise<void> {
  const rate = Number(process.argv[2] ?? 1000);
  const seconds = Number(process.argv[3] ?? 15);
  const n = Number(process.argv[4] ?? 1000);
  const top = Number(process.argv[5] ?? 30);
  const survivors = process.argv[6] === 'survivors';
  const inspectPort = await freePort();
  await withProbePipeline({ devices: n, inspectPort }, async ({ fleet }) => {
    fleet.setRate(rate);
    await sleep(10_000);
    const inspector = await openInspector(inspectPort);
    try {
      await inspector.call('HeapProfiler.enable');
      // One sample per 16 KiB allocated on average; collected objects are kept in the profile.
      await inspector.call('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !survivors });
      const m0 = await fleet.mark();
      const start = performance.now();
      await sleep(seconds * 1000);
      const { profile } = (await inspector.call('HeapProfiler.stopSampling')) as { profile: { head: SamplingNode } };
      const m1 = await fleet.mark();
      const secs = (performance.now() - start) / 1000;
      const msgs = Math.max(1, m1.acked - m0.acked);
      const s = summariseAllocations(profile.head);
      console.log(`${rate} msg/s offered, ${(msgs / secs).toFixed(0)} acked/s: ${(s.total / secs / 1e6).toFixed(1)} MB/s ${survivors ? 'surviving a scavenge' : 'allocated'} on the main thread, ${(s.total / msgs / 1024).toFixed(1)} KiB per message`);
      console.log('\nby area (KiB per message):');
      for (const [a, b] of [...s.areas].sort((x, y) => y[1] - x[1]).slice(0, 15)) console.log(`  ${(b / msgs / 1024).toFixed(2).padStart(7)}  ${((100 * b) / s.total).toFixed(1).padStart(5)} %  ${a}`);
      console.log('\nby function (KiB per message):');
      for (const [f, e] of [...s.fns].sort((x, y) => y[1].bytes - x[1].bytes).slice(0, top)) console.log(`  ${(e.bytes / msgs / 1024).toFixed(2).padStart(7)}  ${((100 * e.bytes) / s.total).toFixed(1).padStart(5)} %  ${f}  [${e.area}]`);
    } finally {
      inspector.close();
    }
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
