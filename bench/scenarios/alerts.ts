import mqtt from 'mqtt';
import { samplePercentiles } from '../lib/hist';
import { sleep } from '../lib/proc';
import type { Target } from '../lib/targets';
import type { Fleet } from '../load/fleet';
import { describeWindow } from './ingest';
import { measure, type Window } from './measure';

export interface AlertLatencyResult {
  rate: number;
  spikesPerSec: number;
  /** Spikes sent, and how many reached the operator as a red river-flood-level alert. */
  spikes: number;
  received: number;
  /** Publish -> operator receipt, ms. */
  p50?: number;
  p99?: number;
  max?: number;
  window: Window;
  /** Every latency, ms (with `keepLatencies`). */
  latencies?: number[];
}

const epochNow = () => performance.timeOrigin + performance.now();
const RAISES = new Set(['raised', 'reactivated', 'upgraded']);

/**
 * Alert latency on a running pipeline with a connected fleet: the fleet publishes at `rate` while
 * river gauges send red spikes (water level above historicalMax) `spikesPerSec` times a second
 * and fall back to normal; an operator subscribed to `alerts/+/river_gauge/#` over MQTT records
 * when each spike's red river-flood-level alert arrives. Matching is by device and the spike's
 * unique value; latency is the operator's receipt time minus the worker's write time (one clock).
 */
export async function runAlertLatency(
  target: Target,
  fleet: Fleet,
  operator: { user: string; password: string },
  o: { rate: number; spikesPerSec: number; seconds: number; settleMs: number; graceMs: number; log: (line: string) => void; keepLatencies?: boolean },
): Promise<AlertLatencyResult> {
  const client = await mqtt.connectAsync(`mqtt://${target.host}:${target.port}`, {
    username: operator.user,
    password: operator.password,
    clientId: `bench-operator-${process.pid}`,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 30_000,
  });
  const receipts = new Map<string, number>();
  client.on('message', (topic, payload) => {
    if (payload.length === 0 || !topic.endsWith('/river-flood-level')) return;
    const at = epochNow();
    try {
      const change = JSON.parse(payload.toString('utf8')) as { deviceId: string; level: string; value?: number; event: { type: string } };
      if (change.level !== 'red' || !RAISES.has(change.event.type) || change.value === undefined) return;
      const key = `${change.deviceId}|${change.value}`;
      if (!receipts.has(key)) receipts.set(key, at);
    } catch {
      /* not an alert change: ignore */
    }
  });
  try {
    await client.subscribeAsync('alerts/+/river_gauge/#', { qos: 1 });
    fleet.setRate(o.rate);
    await sleep(o.settleMs);
    await fleet.mark();
    fleet.takeSpikes();
    fleet.spikes(o.spikesPerSec);
    const window = await measure(target, fleet, o.rate, 0, o.seconds * 1000);
    fleet.spikes(0);
    o.log(`  alert latency window: ${describeWindow(window)}`);
    await sleep(o.graceMs);
    await fleet.mark();
    const spikes = fleet.takeSpikes();
    const latencies: number[] = [];
    const late: { ms: number; sentAt: number; deviceId: string }[] = [];
    for (const s of spikes) {
      const at = receipts.get(`${s.deviceId}|${s.value}`);
      if (at === undefined) continue;
      latencies.push(at - s.sentAt);
      late.push({ ms: at - s.sentAt, sentAt: s.sentAt, deviceId: s.deviceId });
    }
    // The slowest few, with when they were sent: a p99 of a hundred spikes is set by one or two.
    const start = spikes.reduce((m, s) => Math.min(m, s.sentAt), Infinity);
    const slowest = late.sort((x, y) => y.ms - x.ms).slice(0, 3);
    if (slowest.length) o.log(`  slowest alerts: ${slowest.map((l) => `${l.ms.toFixed(1)} ms at +${((l.sentAt - start) / 1000).toFixed(2)} s (${new Date(l.sentAt).toISOString().slice(11, 23)})`).join(', ')}`);
    const p = samplePercentiles(latencies);
    return {
      rate: o.rate,
      spikesPerSec: o.spikesPerSec,
      spikes: spikes.length,
      received: latencies.length,
      ...(p.p50 !== undefined ? { p50: p.p50, p99: p.p99!, max: p.max! } : {}),
      window,
      ...(o.keepLatencies ? { latencies } : {}),
    };
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
}
