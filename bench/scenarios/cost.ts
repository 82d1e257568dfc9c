import { cpuMeter } from '../lib/proc';
import type { Target } from '../lib/targets';
import type { Fleet } from '../load/fleet';
import { drain, measure, sustained, type Window } from './measure';

/** CPU per message of one pipeline at a fixed offered rate (the Kafka row beside the embedded one). */
export interface CostResult {
  target: string;
  rate: number;
  window: Window;
  /** Whether the pipeline held the rate (else its CPU per message includes queueing work). */
  held: boolean;
  /** The pipeline process's CPU per acknowledged message, µs (the broker's own CPU not included). */
  cpuUsPerMsg?: number;
  /** The Kafka peer's CPU per message, µs, when its process is on this machine and known. */
  peerUsPerMsg?: number;
}

/**
 * One window at `rate` msg/s on a connected fleet, then a drain. CPU per message is the target
 * process's CPU (cores) over the acknowledged rate: a fair figure even when the broker (the
 * librdkafka mock here) is what limits throughput, since both pipelines get the same load.
 */
export async function runCost(
  target: Target,
  fleet: Fleet,
  rate: number,
  o: { settleMs: number; windowMs: number; peerPid?: number; log: (line: string) => void },
): Promise<CostResult> {
  const peer = o.peerPid !== undefined ? cpuMeter([o.peerPid]) : undefined;
  const window = await measure(target, fleet, rate, o.settleMs, o.windowMs);
  // The peer meter spans the settle too: its figure is an estimate, the target's is the window's.
  const peerCpu = peer?.stop();
  await drain(target, fleet);
  const per = (cores: number) => (window.acked > 0 ? (cores / window.acked) * 1e6 : undefined);
  const result: CostResult = { target: target.name, rate, window, held: sustained(window) };
  const cpu = per(window.targetCpu);
  if (cpu !== undefined) result.cpuUsPerMsg = cpu;
  const p = peerCpu !== undefined ? per(peerCpu) : undefined;
  if (p !== undefined) result.peerUsPerMsg = p;
  o.log(`  ${target.name} at ${rate} msg/s: acked ${window.acked.toFixed(0)}/s, target CPU ${window.targetCpu.toFixed(2)} cores = ${cpu?.toFixed(0) ?? '-'} µs/msg${p !== undefined ? `, peer ${p.toFixed(0)} µs/msg` : ''}${result.held ? '' : ' (NOT held)'}`);
  return result;
}
