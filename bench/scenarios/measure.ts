import { percentile } from '../lib/hist';
import { cpuMeter, machineBusySeconds, memoryMb, sleep } from '../lib/proc';
import type { PipelineCounters, Target } from '../lib/targets';
import type { Fleet, FleetTotals } from '../load/fleet';

/** What one measurement window at one offered rate showed. */
export interface Window {
  /** What the window was for (set by the scenario): probe, search, confirm, ref. */
  role?: string;
  /** Offered msgs/s (0 = closed loop). */
  offered: number;
  seconds: number;
  /** PUBACKs per second. */
  acked: number;
  /** Publishes the rate asked for that no device could send (window full), per second. */
  throttled: number;
  p50?: number;
  p99?: number;
  /** Pipeline only: readings stored per second, and backlog (accepted - slowest consumer). */
  stored?: number;
  /** Mean readings per writer batch (store write) in the window. */
  writerBatch?: number;
  backlogStart?: number;
  backlogEnd?: number;
  /** Least-squares slope of the backlog over the window, msgs/s (> 0: growing). */
  backlogSlope?: number;
  /** CPU in cores (1 = one core busy). */
  targetCpu: number;
  loadCpu: number;
  /** Every other process on the machine (other users' work competes for the same cores). */
  otherCpu: number;
  targetRssMb?: number;
  dropped: number;
}

export const backlogOf = (c: PipelineCounters) => c.accepted - c.deadLetters - Math.min(c.stored, c.rulesRead);

export function slope(points: readonly (readonly [number, number])[]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Offers `rate` (0 = closed loop) for settleMs (not counted) then windowMs (counted), sampling
 * the pipeline's backlog every 500 ms; the window ends early once the backlog passes maxBacklog
 * (after at least 1.5 s). The fleet keeps publishing afterwards (the caller stops it).
 */
export async function measure(target: Target, fleet: Fleet, rate: number, settleMs: number, windowMs: number, maxBacklog = Infinity): Promise<Window> {
  fleet.setRate(rate);
  await sleep(settleMs);
  const m0 = await fleet.mark();
  const c0 = await target.counters?.();
  const t0 = performance.now();
  const cpuT = cpuMeter([target.pid]);
  const cpuL = cpuMeter(fleet.pids);
  const busy0 = machineBusySeconds();
  const samples: [number, number][] = c0 ? [[0, backlogOf(c0)]] : [];
  let c1 = c0;
  while (performance.now() - t0 < windowMs) {
    await sleep(Math.min(500, Math.max(0, windowMs - (performance.now() - t0))));
    if (target.counters) {
      c1 = await target.counters();
      samples.push([(performance.now() - t0) / 1000, backlogOf(c1)]);
      // Enough to show growth; more would only take long to drain.
      if (backlogOf(c1) > maxBacklog && samples.length >= 4) break;
    }
  }
  const m1: FleetTotals = await fleet.mark();
  const seconds = (performance.now() - t0) / 1000;
  const machine = (machineBusySeconds() - busy0) / seconds;
  const targetCpu = cpuT.stop();
  const loadCpu = cpuL.stop();
  const w: Window = {
    offered: rate,
    seconds,
    acked: (m1.acked - m0.acked) / seconds,
    throttled: (m1.throttled - m0.throttled) / seconds,
    targetCpu,
    loadCpu,
    otherCpu: Math.max(0, machine - targetCpu - loadCpu),
    dropped: m1.dropped,
  };
  const p50 = percentile(m1.hist, 50);
  const p99 = percentile(m1.hist, 99);
  if (p50 !== undefined) w.p50 = p50;
  if (p99 !== undefined) w.p99 = p99;
  const rss = memoryMb(target.pid);
  if (rss) w.targetRssMb = rss.rss;
  if (c0 && c1) {
    w.stored = (c1.stored - c0.stored) / seconds;
    const batches = c1.writerBatches - c0.writerBatches;
    if (batches > 0) w.writerBatch = (c1.stored - c0.stored) / batches;
    w.backlogStart = backlogOf(c0);
    w.backlogEnd = backlogOf(c1);
    w.backlogSlope = slope(samples);
  }
  return w;
}

/**
 * Whether a window at an offered rate was sustained: (almost) everything offered was sent and
 * acknowledged, and the pipeline's backlog did not grow, neither from start to end nor by its
 * fitted slope, by more than 3 % of the traffic plus one consumer batch (the consumers take up to
 * 2000 records at a time, so the backlog saw-tooths by about that much).
 */
export function sustained(w: Window): boolean {
  const rate = w.offered > 0 ? w.offered : w.acked;
  if (w.offered > 0 && (w.acked < 0.97 * w.offered || w.throttled > 0.01 * w.offered)) return false;
  if (w.backlogSlope === undefined) return true;
  const traffic = rate * w.seconds;
  const allowance = 0.03 * traffic + Math.min(2_000, 0.1 * traffic);
  const growth = (w.backlogEnd ?? 0) - (w.backlogStart ?? 0);
  return growth <= allowance && w.backlogSlope * w.seconds <= allowance;
}

/** Stops publishing and waits (bounded) until the pipeline has caught up. */
export async function drain(target: Target, fleet: Fleet, timeoutMs = 45_000): Promise<number> {
  await fleet.stop(10_000);
  if (!target.counters) return 0;
  const deadline = Date.now() + timeoutMs;
  let backlog = backlogOf(await target.counters());
  while (backlog > 0 && Date.now() < deadline) {
    await sleep(250);
    backlog = backlogOf(await target.counters());
  }
  return backlog;
}
