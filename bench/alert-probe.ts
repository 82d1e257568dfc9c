/**
 * The alert latency's tail at one offered rate, with more spikes than the bench's window (whose
 * p99 of a hundred is set by one or two alerts): device publish -> operator receives the red
 * alert, over a long window, with the count of alerts past 50 ms. A diagnostic for comparing
 * settings (`PROBE_ENV`, `BENCH_NODE_ARGS`) beside `bench/probe.ts`:
 *
 *   npx tsx bench/alert-probe.ts [rate=1000] [seconds=60] [spikesPerSec=20] [devices=1000]
 */
import { withProbePipeline } from './lib/probe-run';
import { runAlertLatency } from './scenarios/alerts';
import { warmUp } from './scenarios/city';

async function main(): Promise<void> {
  const rate = Number(process.argv[2] ?? 1000);
  const seconds = Number(process.argv[3] ?? 60);
  const spikesPerSec = Number(process.argv[4] ?? 20);
  const n = Number(process.argv[5] ?? 1000);
  const log = (line: string) => console.log(line);
  await withProbePipeline({ devices: n }, async ({ target, fleet, operator }) => {
    await warmUp(target, fleet, Math.max(rate, 1000), 15_000, log);
    const r = await runAlertLatency(target, fleet, operator, { rate, spikesPerSec, seconds, settleMs: 1000, graceMs: 3000, log, keepLatencies: true });
    const all = [...(r.latencies ?? [])].sort((a, b) => a - b);
    const at = (q: number) => all[Math.min(all.length - 1, Math.ceil(q * all.length) - 1)] ?? NaN;
    console.log(`${rate} msg/s, ${r.received}/${r.spikes} alerts: p50 ${at(0.5).toFixed(1)} p90 ${at(0.9).toFixed(1)} p99 ${at(0.99).toFixed(1)} p99.9 ${at(0.999).toFixed(1)} max ${at(1).toFixed(1)} ms; over 50 ms: ${all.filter((x) => x > 50).length}, over 30 ms: ${all.filter((x) => x > 30).length}`);
  });
}

await main();
