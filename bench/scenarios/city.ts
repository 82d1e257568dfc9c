import { cpuMeter, memoryMb, sleep } from '../lib/proc';
import type { Target } from '../lib/targets';
import type { Fleet } from '../load/fleet';
import { runAlertLatency } from './alerts';
import { backlogOf, drain, measure } from './measure';

/** One row of the city-rates section: a target with a connected fleet at one offered rate. */
export interface CityRow {
  target: string;
  devices: number;
  /** Offered msgs/s (0: connected and idle). */
  rate: number;
  seconds: number;
  /** PUBACKs per second in the window. */
  acked: number;
  /** CPU of the target process, all threads (/proc/<pid>/stat), in cores. */
  cores: number;
  /** CPU per acknowledged message, ms (undefined when idle). */
  msPerMsg?: number;
  pubackP50?: number;
  pubackP99?: number;
  /** Device publish -> operator receives the red alert, ms (pipeline only, rate > 0). */
  alertP50?: number;
  alertP99?: number;
  alertMax?: number;
  /** Alerts that took longer than 50 ms (issue 20's bound for the p99). */
  alertsOver50?: number;
  alertsReceived?: number;
  spikes?: number;
  rssMb?: number;
  /** Pipeline only: the backlog after the window (0 = it kept up). */
  backlogEnd?: number;
}

export interface CityOptions {
  seconds: number;
  settleMs: number;
  /** Operator for the alert latency (pipeline targets only). */
  operator?: { user: string; password: string };
  /** Red spikes per second during the alert window (a few: alerts are rare at city rates). */
  spikesPerSec: number;
  /** Length of the alert window, s: longer than the CPU window, so that the p99 is not just the second-slowest of a hundred. */
  alertSeconds: number;
  log: (line: string) => void;
}

/**
 * Traffic before the measured windows, so that they see a process in its steady state (code
 * optimised by the JIT, caches and state logs at their working size) rather than its first
 * seconds: a city's pipeline runs for months; its first minute is not its cost.
 */
export async function warmUp(target: Target, fleet: Fleet, rate: number, ms: number, log: (line: string) => void): Promise<void> {
  fleet.setRate(rate);
  await sleep(ms);
  const left = await drain(target, fleet);
  log(`  ${target.name}: warmed up with ${(ms / 1000).toFixed(0)} s at ${rate} msg/s${left ? ` (backlog ${left} left)` : ''}`);
}

/**
 * CPU of the whole target process at a fixed offered rate (or idle), with PUBACK latency, and
 * for the pipeline the alert latency at the same rate in a window of its own. The CPU window does
 * not poll the pipeline's /api/stats (at 100 msg/s that polling would be a visible share).
 */
export async function runCity(target: Target, fleet: Fleet, devices: number, rate: number, o: CityOptions): Promise<CityRow> {
  const row: CityRow = { target: target.name, devices, rate, seconds: o.seconds, acked: 0, cores: 0 };
  if (rate === 0) {
    await fleet.stop(10_000);
    await sleep(o.settleMs);
    const cpu = cpuMeter([target.pid]);
    await sleep(o.seconds * 1000);
    row.cores = cpu.stop();
  } else {
    const quiet: Target = { ...target, counters: undefined };
    const w = await measure(quiet, fleet, rate, o.settleMs, o.seconds * 1000);
    row.acked = w.acked;
    row.cores = w.targetCpu;
    if (w.acked > 0) row.msPerMsg = (w.targetCpu / w.acked) * 1000;
    if (w.p50 !== undefined) row.pubackP50 = w.p50;
    if (w.p99 !== undefined) row.pubackP99 = w.p99;
    if (target.counters) row.backlogEnd = backlogOf(await target.counters());
    if (o.operator && target.counters) {
      const al = await runAlertLatency(target, fleet, o.operator, { rate, spikesPerSec: o.spikesPerSec, seconds: o.alertSeconds, settleMs: 1000, graceMs: 3000, log: o.log, keepLatencies: true });
      row.spikes = al.spikes;
      row.alertsReceived = al.received;
      if (al.p50 !== undefined) row.alertP50 = al.p50;
      if (al.p99 !== undefined) row.alertP99 = al.p99;
      if (al.max !== undefined) row.alertMax = al.max;
      row.alertsOver50 = (al.latencies ?? []).filter((ms) => ms > 50).length;
    }
    await drain(target, fleet);
  }
  const rss = memoryMb(target.pid);
  if (rss) row.rssMb = rss.rss;
  o.log(
    `  ${target.name}, ${devices} devices, ${rate} msg/s: ${row.cores.toFixed(3)} cores` +
      (row.msPerMsg !== undefined ? ` = ${row.msPerMsg.toFixed(2)} ms/msg, PUBACK p50/p99 ${row.pubackP50?.toFixed(1)}/${row.pubackP99?.toFixed(1)} ms` : '') +
      (row.alertP99 !== undefined ? `, alert p50/p99/max ${row.alertP50?.toFixed(1)}/${row.alertP99.toFixed(1)}/${row.alertMax?.toFixed(1)} ms (${row.alertsReceived}/${row.spikes}, ${row.alertsOver50} over 50 ms)` : ''),
  );
  return row;
}
