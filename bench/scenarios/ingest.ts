import { memoryMb } from '../lib/proc';
import type { PipelineCounters, Target } from '../lib/targets';
import type { Fleet } from '../load/fleet';
import { drain, measure, sustained, type Window } from './measure';

export interface IngestOptions {
  settleMs: number;
  windowMs: number;
  /** Open-loop steps of the rate search after the closed-loop probe. */
  maxSteps: number;
  /** The window that confirms a searched rate (0 = none). */
  confirmMs: number;
  /** A fixed rate every target is also measured at, for latency and CPU per message side by side. */
  refRate: number;
  log: (line: string) => void;
}

export interface IngestResult {
  target: string;
  /** Highest sustained rate and how it was found. */
  sustained?: Window;
  /** unconfirmed: a short search window held, the longer confirmation windows did not. */
  method: 'closed loop' | 'rate search' | 'unconfirmed' | 'none';
  /** The closed-loop probe: as fast as PUBACKs come back, `window` in flight per device. */
  closedLoop: Window;
  /** At refRate, when the target sustains it. */
  ref?: Window;
  steps: Window[];
  peakRssMb?: number;
  /** Pipeline only, at the end: its own process.memoryUsage() (MB). */
  memory?: PipelineCounters['memory'];
  /** Pipeline backlog left after the last drain. */
  backlogLeft?: number;
}

/** Rates to 100 msg/s above 2,000, to 10 below (the Kafka path runs at a few hundred). */
const roundRate = (r: number) => {
  const step = r >= 2_000 ? 100 : 10;
  return Math.max(50, Math.round(r / step) * step);
};

export function describeWindow(w: Window): string {
  const f = (n: number | undefined, d = 0) => (n === undefined ? '-' : n.toFixed(d));
  return (
    `offered ${w.offered ? f(w.offered) : 'closed-loop'}: acked ${f(w.acked)}/s, throttled ${f(w.throttled)}/s, PUBACK p50 ${f(w.p50, 1)} ms p99 ${f(w.p99, 1)} ms` +
    (w.stored !== undefined ? `, stored ${f(w.stored)}/s (batches of ${f(w.writerBatch)}), backlog ${f(w.backlogStart)}->${f(w.backlogEnd)} (slope ${f(w.backlogSlope)}/s)` : '') +
    `, cpu target ${f(w.targetCpu, 2)} load ${f(w.loadCpu, 2)} other ${f(w.otherCpu, 2)}${w.dropped ? `, DROPPED ${w.dropped}` : ''} -> ${sustained(w) ? 'sustained' : 'not sustained'}`
  );
}

/**
 * The ingest scenario on one target whose fleet is connected: a closed-loop probe (as fast as the
 * target acknowledges); if the pipeline's backlog grew during it, a bisection (in log space) over
 * open-loop rates below the probe's rate for the highest one that holds without backlog growth.
 * Then the same target at the common reference rate. Bounded: at most 1 + maxSteps + 2 + 1 windows.
 */
export async function runIngest(target: Target, fleet: Fleet, o: IngestOptions): Promise<IngestResult> {
  const steps: Window[] = [];
  const step = async (rate: number, role: string) => {
    // A closed loop outruns a pipeline's consumers: stop it once 30k records are queued.
    const w = await measure(target, fleet, rate, rate === 0 ? 500 : o.settleMs, o.windowMs, rate === 0 ? 30_000 : Infinity);
    w.role = role;
    steps.push(w);
    o.log(`  ${target.name}: ${describeWindow(w)}`);
    return w;
  };
  const closedLoop = await step(0, 'probe');
  let best: Window | undefined = sustained(closedLoop) ? closedLoop : undefined;
  let method: IngestResult['method'] = best ? 'closed loop' : 'none';
  let backlogLeft = await drain(target, fleet);
  if (!best) {
    // Bisection in log space between what the consumers stored during the probe (assumed to
    // hold, not yet tested) and the probe's PUBACK rate (known not to hold).
    let lo = Math.max(50, 0.9 * (closedLoop.stored ?? 0));
    let hi = closedLoop.acked;
    const test = async (rate: number) => {
      const w = await step(rate, 'search');
      backlogLeft = await drain(target, fleet);
      if (!sustained(w)) return false;
      best = w;
      return true;
    };
    for (let i = 0; i < o.maxSteps && hi / lo > 1.08; i++) {
      const rate = roundRate(Math.sqrt(lo * hi));
      if (await test(rate)) lo = rate;
      else hi = rate;
    }
    // Nothing above the assumed floor held: test the floor, then a lower rate (two more windows).
    for (let i = 0; !best && i < 2; i++) {
      lo = roundRate(lo * (i === 0 ? 1 : 0.5));
      await test(lo);
    }
    if (best) method = 'rate search';
  }
  // A short window can pass by luck: hold the found rate three times as long (twice lower if not).
  if (best && method === 'rate search' && o.confirmMs > 0) {
    const searched: Window = best;
    let rate = best.offered;
    let confirmed: Window | undefined;
    for (let i = 0; i < 2 && !confirmed; i++, rate = roundRate(rate * 0.85)) {
      const w = await measure(target, fleet, rate, o.settleMs, o.confirmMs);
      w.role = 'confirm';
      steps.push(w);
      o.log(`  ${target.name}: confirm ${describeWindow(w)}`);
      backlogLeft = await drain(target, fleet);
      if (sustained(w)) confirmed = w;
    }
    // Neither held for the longer window: report the searched rate, marked (see otherCpu).
    best = confirmed ?? searched;
    if (!confirmed) method = 'unconfirmed';
  }
  let ref: Window | undefined;
  if (best && o.refRate > 0 && o.refRate <= best.acked * 1.02) {
    ref = await step(o.refRate, 'ref');
    backlogLeft = await drain(target, fleet);
  }
  const mem = memoryMb(target.pid);
  const memory = (await target.counters?.().catch(() => undefined))?.memory;
  return {
    target: target.name,
    method,
    closedLoop,
    steps,
    ...(best ? { sustained: best } : {}),
    ...(ref ? { ref } : {}),
    ...(mem ? { peakRssMb: mem.hwm } : {}),
    ...(memory ? { memory } : {}),
    ...(target.counters ? { backlogLeft } : {}),
  };
}
