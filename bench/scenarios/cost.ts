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
  /**
   * Kafka only: requests to the brokers per acknowledged message over the window, every stage of
   * the process together (`bus.requests` of /api/stats), and records per produce request.
   */
  requests?: { produce: number; fetch: number; commit: number; recordsPerProduce?: number };
}

/** `bus.requests` and `bus.producer` of the pipeline's /api/stats, when it runs on Kafka. */
async function kafkaCounters(target: Target): Promise<{ requests: Record<string, number>; records: number } | undefined> {
  const s = (await target.stats?.().catch(() => undefined)) as { bus?: { requests?: Record<string, number>; producer?: { records?: number } } } | undefined;
  return s?.bus?.requests ? { requests: s.bus.requests, records: s.bus.producer?.records ?? 0 } : undefined;
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
  // The request counters span the settle too (an estimate, like the peer's CPU).
  const k0 = await kafkaCounters(target);
  const window = await measure(target, fleet, rate, o.settleMs, o.windowMs);
  // The peer meter spans the settle too: its figure is an estimate, the target's is the window's.
  const peerCpu = peer?.stop();
  const k1 = k0 ? await kafkaCounters(target) : undefined;
  await drain(target, fleet);
  const per = (cores: number) => (window.acked > 0 ? (cores / window.acked) * 1e6 : undefined);
  const result: CostResult = { target: target.name, rate, window, held: sustained(window) };
  const cpu = per(window.targetCpu);
  if (cpu !== undefined) result.cpuUsPerMsg = cpu;
  const p = peerCpu !== undefined ? per(peerCpu) : undefined;
  if (p !== undefined) result.peerUsPerMsg = p;
  if (k0 && k1 && window.acked > 0) {
    const msgs = window.acked * (window.seconds + o.settleMs / 1000);
    const d = (api: string) => ((k1.requests[api] ?? 0) - (k0.requests[api] ?? 0)) / msgs;
    const produce = (k1.requests.Produce ?? 0) - (k0.requests.Produce ?? 0);
    result.requests = { produce: d('Produce'), fetch: d('Fetch'), commit: d('OffsetCommit'), ...(produce > 0 ? { recordsPerProduce: (k1.records - k0.records) / produce } : {}) };
  }
  const q = result.requests;
  o.log(`  ${target.name} at ${rate} msg/s: acked ${window.acked.toFixed(0)}/s, stored ${window.stored?.toFixed(0) ?? '-'}/s, target CPU ${window.targetCpu.toFixed(2)} cores = ${cpu?.toFixed(0) ?? '-'} µs/msg${p !== undefined ? `, peer ${p.toFixed(0)} µs/msg` : ''}${q ? `, per message ${q.produce.toFixed(3)} produce / ${q.fetch.toFixed(3)} fetch / ${q.commit.toFixed(3)} commit requests` : ''}${result.held ? '' : ' (NOT held)'}`);
  return result;
}
