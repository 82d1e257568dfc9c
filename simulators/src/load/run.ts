import mqtt, { type MqttClient } from 'mqtt';
import { encodePayload } from '../encode';
import { createModel, type DeviceModel } from '../models';
import { createRng } from '../rng';
import type { ScenarioDevice } from '../scenario/schema';
import { statusTopic, telemetryTopic } from '../run/fleet';
import { createLinkFleet, linkOf, type LinkDevice, type LinkPorts } from '../run/links';
import { loadPassword } from './devices';
import { percentiles, type Percentiles } from './stats';

export interface LoadOptions {
  readonly url: string;
  readonly devices: readonly ScenarioDevice[];
  readonly password: (id: string) => string;
  /** Target telemetry messages per second over the fleet; 0 = as fast as the PUBACKs come back. */
  readonly rate: number;
  readonly durationMs: number;
  /** Unacknowledged publishes per device before it waits (default 4). */
  readonly inFlightPerDevice?: number;
  /** Connections opened at once (default 50). */
  readonly connectConcurrency?: number;
  readonly seed?: number;
  readonly onProgress?: (p: { phase: 'connect' | 'publish'; done: number; total: number; acked: number }) => void;
  readonly signal?: AbortSignal;
  /** The gateway's protocol listeners, for devices that do not speak MQTT (UITDs, HJ 212 over TCP). */
  readonly links?: { readonly host: string; readonly ports: LinkPorts };
}

export interface LoadResult {
  readonly devices: number;
  readonly connected: number;
  readonly connectFailures: number;
  readonly connectMs: number;
  readonly sent: number;
  readonly acked: number;
  readonly failed: number;
  /** Sends skipped because the device already had its in-flight window full (the pipeline pushing back). */
  readonly throttled: number;
  readonly elapsedMs: number;
  /** Acknowledged messages per second over the publish phase. */
  readonly ackedPerSec: number;
  /** PUBACK latency, ms. */
  readonly latency: Percentiles;
  readonly byKind: Readonly<Record<string, number>>;
}

interface Slot {
  readonly device: ScenarioDevice;
  readonly model: DeviceModel;
  client?: MqttClient;
  /** Talks to a protocol listener (through `links`) rather than MQTT. */
  readonly link: boolean;
  inFlight: number;
  seq: number;
}

/** Latencies kept for the percentiles (a uniform reservoir beyond this many). */
const MAX_SAMPLES = 500_000;

/**
 * The load generator: one MQTT connection per device (registry credentials), every kind's model
 * producing the payloads in its own format, QoS 1, paced to `rate` messages per second overall
 * with a bounded window per device. Measures acknowledged throughput and PUBACK latency.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const rng = createRng(options.seed ?? 1, 'load');
  const start = Date.now();
  const linked = new Map<string, LinkDevice>();
  for (const d of options.devices) {
    const l = linkOf(d);
    if (l) linked.set(d.id, l);
  }
  if (linked.size > 0 && !options.links) throw new Error(`${linked.size} devices speak a protocol of their own: give the protocol listeners' ports`);
  const byId = new Map(options.devices.map((d) => [d.id, d]));
  const linkPassword = (id: string) => loadPassword(byId.get(id)!, options.password(id));
  const links = linked.size > 0 ? createLinkFleet({ host: options.links!.host, ports: options.links!.ports, devices: linked, password: linkPassword }) : undefined;
  const slots: Slot[] = options.devices.map((device) => ({
    device,
    model: createModel({ device, events: [], rng: rng.fork(device.id), start }),
    link: linked.has(device.id),
    inFlight: 0,
    seq: 0,
  }));
  const connected = (slot: Slot) => (slot.link ? links!.isConnected(slot.device.id) : slot.client?.connected === true);
  const window = options.inFlightPerDevice ?? 4;

  // --- connect, a bounded number at a time ---
  const t0 = performance.now();
  let connectFailures = 0;
  let next = 0;
  let connectedCount = 0;
  const connectOne = async (slot: Slot) => {
    const id = slot.device.id;
    if (slot.link) {
      if (await links!.connect(id)) connectedCount++;
      else connectFailures++;
      options.onProgress?.({ phase: 'connect', done: connectedCount + connectFailures, total: slots.length, acked: 0 });
      return;
    }
    try {
      slot.client = await mqtt.connectAsync(options.url, {
        username: id,
        password: options.password(id),
        clientId: `${id}-load`,
        reconnectPeriod: 0,
        connectTimeout: 30_000,
        will: { topic: statusTopic(id), payload: Buffer.from('offline'), qos: 1, retain: true },
      });
      slot.client.on('error', () => undefined);
      connectedCount++;
    } catch {
      connectFailures++;
    }
    options.onProgress?.({ phase: 'connect', done: connectedCount + connectFailures, total: slots.length, acked: 0 });
  };
  await Promise.all(
    Array.from({ length: Math.min(options.connectConcurrency ?? 50, slots.length) }, async () => {
      for (let i = next++; i < slots.length && !options.signal?.aborted; i = next++) await connectOne(slots[i]!);
    }),
  );
  const connectMs = performance.now() - t0;
  const live = slots.filter(connected);

  // --- publish ---
  const latencies: number[] = [];
  let seen = 0;
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let throttled = 0;
  const byKind: Record<string, number> = {};
  const record = (ms: number) => {
    seen++;
    if (latencies.length < MAX_SAMPLES) latencies.push(ms);
    else {
      const j = Math.floor(rng.next() * seen);
      if (j < MAX_SAMPLES) latencies[j] = ms;
    }
  };
  const p0 = performance.now();
  const runStart = Date.now();
  let cursor = 0;
  let settle: (() => void) | undefined;

  const send = (slot: Slot) => {
    const client = slot.client;
    slot.inFlight++;
    slot.seq++;
    sent++;
    const t = Date.now() - runStart;
    const payload = encodePayload({ device: slot.device, ts: Date.now(), sample: slot.model.sample(t), seq: slot.seq });
    const began = performance.now();
    const done = (err?: Error) => {
      slot.inFlight--;
      if (err) failed++;
      else {
        acked++;
        byKind[slot.device.kind] = (byKind[slot.device.kind] ?? 0) + 1;
        record(performance.now() - began);
      }
      if (options.rate === 0 && !stopped() && slot.inFlight < window && connected(slot)) send(slot);
      settle?.();
    };
    if (slot.link) {
      void links!.send(slot.device.id, payload).then((ok) => done(ok ? undefined : new Error('not acknowledged')));
    } else client!.publish(telemetryTopic(slot.device.id), typeof payload === 'string' ? payload : Buffer.from(payload), { qos: 1 }, (err) => done(err ?? undefined));
  };
  const stopped = () => options.signal?.aborted === true || performance.now() - p0 >= options.durationMs;

  if (live.length > 0) {
    if (options.rate === 0) {
      for (const slot of live) for (let i = 0; i < window; i++) send(slot);
      while (!stopped()) {
        await sleep(100);
        options.onProgress?.({ phase: 'publish', done: Math.floor(performance.now() - p0), total: options.durationMs, acked });
      }
    } else {
      let lastProgress = 0;
      while (!stopped()) {
        const due = Math.floor(((performance.now() - p0) / 1000) * options.rate);
        let attempts = 0;
        while (sent + throttled < due && attempts < live.length) {
          const slot = live[cursor++ % live.length]!;
          if (slot.inFlight >= window || !connected(slot)) {
            throttled++;
            attempts++;
            continue;
          }
          attempts = 0;
          send(slot);
        }
        const now = performance.now();
        if (now - lastProgress >= 500) {
          lastProgress = now;
          options.onProgress?.({ phase: 'publish', done: Math.floor(now - p0), total: options.durationMs, acked });
        }
        await sleep(5);
      }
    }
  }
  // Let the messages in flight come back (bounded wait).
  const drainUntil = performance.now() + 30_000;
  while (live.some((s) => s.inFlight > 0) && performance.now() < drainUntil) {
    await new Promise<void>((r) => {
      settle = r;
      setTimeout(r, 100);
    });
  }
  settle = undefined;
  const elapsedMs = performance.now() - p0;
  // A clean DISCONNECT, so that the broker drops the last wills instead of publishing them.
  await Promise.all(slots.map((s) => (s.client ? endClean(s.client) : undefined)));
  await links?.close();
  return {
    devices: slots.length,
    connected: live.length,
    connectFailures,
    connectMs,
    sent,
    acked,
    failed,
    throttled,
    elapsedMs,
    ackedPerSec: acked / (elapsedMs / 1000),
    latency: percentiles(latencies),
    byKind,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function endClean(client: MqttClient): Promise<void> {
  const ended = client.endAsync(false).catch(() => undefined);
  const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), 5000).unref());
  if ((await Promise.race([ended, timer])) === 'late') await client.endAsync(true).catch(() => undefined);
}
