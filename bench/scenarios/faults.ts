import mqtt, { type MqttClient } from 'mqtt';
import { frozenSubscriber } from '@ganzhi/testkit';
import type { Target } from '../lib/targets';
import type { DeviceSpec } from '../load/devices';

/** PUBACK latency of one well-behaved device during one phase. */
export interface FaultPhase {
  readonly phase: string;
  readonly publishes: number;
  readonly p50?: number;
  readonly p99?: number;
  readonly max?: number;
  /** Publishes of the background devices acknowledged during the phase, per second. */
  readonly backgroundAckedPerSec: number;
  readonly note?: string;
}

export interface FaultOptions {
  readonly seconds: number;
  /** The probe device's publish rate. */
  readonly probeRate: number;
  readonly operator: { readonly user: string; readonly password: string };
  readonly log: (line: string) => void;
}

const connectDevice = (t: Target, d: DeviceSpec) =>
  new Promise<MqttClient>((resolve, reject) => {
    const c = mqtt.connect({ host: t.host, port: t.port, username: d.id, password: d.password, clientId: d.id, reconnectPeriod: 0, connectTimeout: 20_000 });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });

/**
 * What a misbehaving peer costs everyone else (README "Reliability"): the PUBACK latency of one
 * device publishing at `probeRate` while 50 others publish 1,000 msg/s at QoS 1, measured quiet, during
 * a wrong-password flood (40 clients, about 20 CONNECTs/s) and while an admin's tap on
 * `devices/#` stops reading its socket. Bounded: each phase lasts `seconds`.
 */
export async function runFaults(t: Target, devices: readonly DeviceSpec[], o: FaultOptions): Promise<FaultPhase[]> {
  const [probeSpec, ...rest] = devices;
  if (!probeSpec || rest.length < 50) throw new Error('faults: needs 51 devices');
  const background = await Promise.all(rest.slice(0, 50).map((d) => connectDevice(t, d)));
  const probe = await connectDevice(t, probeSpec);
  let stopped = false;
  let bgAcked = 0;
  // The background load runs at a fixed rate (20 msg/s per device, 1,000 msg/s in all: a busy
  // city), at most 8 in flight per device, so that the probe measures the pipeline, not a queue.
  const timers = background.map((c, i) => {
    const d = rest[i]!;
    let inFlight = 0;
    return setInterval(() => {
      if (stopped || inFlight >= 8) return;
      inFlight++;
      c.publish(d.topic, `{"ts":${Date.now()}${d.suffix}`, { qos: 1 }, (err) => {
        inFlight--;
        if (!err) bgAcked++;
      });
    }, 50);
  });

  const measure = async (phase: string, note?: string): Promise<FaultPhase> => {
    const latencies: number[] = [];
    const bgStart = bgAcked;
    const end = Date.now() + o.seconds * 1000;
    const gap = 1000 / o.probeRate;
    const pending: Promise<void>[] = [];
    while (Date.now() < end) {
      const sent = performance.now();
      pending.push(
        new Promise<void>((resolve) =>
          probe.publish(probeSpec.topic, `{"ts":${Date.now()}${probeSpec.suffix}`, { qos: 1 }, (err) => {
            if (!err) latencies.push(performance.now() - sent);
            resolve();
          }),
        ),
      );
      await new Promise((r) => setTimeout(r, gap));
    }
    await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 10_000))]);
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
    const r: FaultPhase = { phase, publishes: latencies.length, p50: at(0.5), p99: at(0.99), max: latencies[latencies.length - 1], backgroundAckedPerSec: (bgAcked - bgStart) / o.seconds, ...(note ? { note } : {}) };
    o.log(`  faults: ${phase}: ${r.publishes} PUBACKs, p50 ${r.p50?.toFixed(1)} ms, p99 ${r.p99?.toFixed(1)} ms; background ${Math.round(r.backgroundAckedPerSec)} acked/s`);
    return r;
  };

  const phases: FaultPhase[] = [];
  try {
    await new Promise((r) => setTimeout(r, 2000));
    phases.push(await measure('quiet (50 devices, 1,000 msg/s QoS 1)'));

    let flooding = true;
    let attempts = 0;
    const flood = Array.from({ length: 40 }, (_, w) =>
      (async () => {
        while (flooding) {
          attempts++;
          await new Promise<void>((resolve) => {
            const c = mqtt.connect({ host: t.host, port: t.port, username: w % 2 ? probeSpec.id : `nobody-${w}`, password: 'wrong', reconnectPeriod: 0, connectTimeout: 5_000 });
            const done = () => {
              c.end(true);
              resolve();
            };
            c.once('connect', done);
            c.once('error', done);
            c.once('close', done);
          });
          await new Promise((r) => setTimeout(r, 2000)); // 40 clients every 2 s: about 20 CONNECTs/s
        }
      })(),
    );
    const floodStart = Date.now();
    const during = await measure('wrong-password flood');
    flooding = false;
    await Promise.all(flood);
    phases.push({ ...during, note: `${Math.round(attempts / ((Date.now() - floodStart) / 1000))} wrong CONNECTs/s` });

    const frozen = await frozenSubscriber(t.port, o.operator.user, o.operator.password, 'devices/#', t.host);
    try {
      phases.push(await measure('frozen tap subscriber on devices/#'));
    } finally {
      frozen.destroy();
    }
    phases.push(await measure('after the frozen subscriber left'));
  } finally {
    stopped = true;
    for (const t of timers) clearInterval(t);
    for (const c of [...background, probe]) c.end(true);
  }
  return phases;
}
