import { createModel, type Sample } from './models';
import { createRng, type Rng } from './rng';
import { encodePayload, malform, type Payload } from './encode';
import { DEFAULT_INTERVAL_SEC, targets, type MalformedVariant, type Scenario, type ScenarioDevice, type ScenarioEvent } from './scenario/schema';

/*
 * The planner: a scenario (and a seed) to the exact sequence of things its devices do, in time
 * order. Pure and deterministic: the same scenario, seed and start give the same actions, byte for
 * byte. Runners only carry the actions out (over MQTT, paced by a clock).
 */

export type Action =
  /** Connect (last will: status `offline`, retained) and publish status `online` (retained). */
  | { readonly t: number; readonly device: string; readonly type: 'connect' }
  /** clean: status `offline`, then DISCONNECT. crash: the socket is dropped (the broker publishes the will). */
  | { readonly t: number; readonly device: string; readonly type: 'disconnect'; readonly mode: 'clean' | 'crash' }
  | {
      readonly t: number;
      readonly device: string;
      readonly type: 'telemetry';
      /** The timestamp inside the payload (scenario clock plus any skew). */
      readonly ts: number;
      readonly payload: Payload;
      /** The field faults applied to this report, if any. */
      readonly faults?: readonly ('malformed' | 'spike' | 'stuck' | 'skew')[];
    };

export interface Plan {
  readonly name: string;
  readonly seed: number;
  /** Epoch ms of t = 0. */
  readonly start: number;
  readonly duration: number;
  readonly devices: readonly ScenarioDevice[];
  /** In time order; ties keep the device order of the scenario. */
  readonly actions: readonly Action[];
}

export interface PlanOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /**
   * Epoch ms for t = 0 of the payload timestamps; default the scenario's `start`. The values do
   * not change with it: daily cycles keep to the scenario's own start.
   */
  readonly start?: number;
}

export function planScenario(scenario: Scenario, options: PlanOptions = {}): Plan {
  const seed = options.seed ?? scenario.seed;
  const start = options.start ?? scenario.start;
  const perDevice = scenario.devices.map((d) => planDevice(scenario, d, seed, start));
  const actions = perDevice.flat().sort((a, b) => a.t - b.t); // stable: ties keep device order
  return { name: scenario.name, seed, start, duration: scenario.duration, devices: scenario.devices, actions };
}

const RANK = { connect: 0, telemetry: 1, disconnect: 2 } as const;

interface Window {
  readonly from: number;
  readonly to: number;
}

const within = (w: readonly Window[], t: number) => w.some((x) => t >= x.from && t < x.to);

function connectionChanges(device: string, events: readonly ScenarioEvent[]): Action[] {
  const out: Action[] = [{ t: 0, device, type: 'connect' }];
  for (const e of events) {
    if (e.type === 'dropout' && e.mode !== 'silent') {
      out.push({ t: e.at, device, type: 'disconnect', mode: e.mode === 'crash' ? 'crash' : 'clean' });
      out.push({ t: e.at + e.duration, device, type: 'connect' });
    } else if (e.type === 'reconnect-storm') {
      for (let i = 0; i < e.count; i++) {
        out.push({ t: e.at + i * e.every, device, type: 'disconnect', mode: 'crash' });
        out.push({ t: e.at + i * e.every + Math.max(1, Math.floor(e.every / 2)), device, type: 'connect' });
      }
    }
  }
  return out.sort((a, b) => a.t - b.t || RANK[a.type] - RANK[b.type]);
}

function connectedAt(changes: readonly Action[], t: number): boolean {
  let connected = false;
  for (const c of changes) {
    if (c.t > t) break;
    connected = c.type === 'connect';
  }
  return connected;
}

interface Pending {
  readonly at: number;
  remaining: number;
}

function planDevice(scenario: Scenario, device: ScenarioDevice, seed: number, start: number): Action[] {
  const rng = createRng(seed, device.id);
  const events = scenario.events.filter((e) => targets(e, device)).sort((a, b) => a.at - b.at);
  // The world follows the scenario's own clock (a night-time fire stays at night wherever the run
  // puts t = 0); only the timestamps move with `start`.
  const model = createModel({ device, events, rng: rng.fork('model'), start: scenario.start });
  const faultRng: Rng = rng.fork('faults');
  const intervalSec = device.intervalSec ?? DEFAULT_INTERVAL_SEC[device.kind];
  const interval = intervalSec * 1000;
  const step = (device.sampleSec ?? (device.kind === 'fire_sensor' ? Math.min(10, intervalSec) : intervalSec)) * 1000;
  // SL 651 observation times have minute resolution: such devices report on whole minutes.
  const align = device.format === 'sl651' ? 60_000 : 1000;
  const phase = align * faultRng.int(1, Math.max(1, Math.floor(Math.min(step, interval) / align) - 1));

  const changes = connectionChanges(device.id, events);
  const silent: Window[] = [];
  const stuck: (Window & { metrics?: readonly string[]; frozen?: Sample })[] = [];
  const skews: (Window & { offset: number })[] = [];
  const spikes: (Pending & { metric: string; value: number })[] = [];
  const malformed: (Pending & { variant: MalformedVariant })[] = [];
  for (const e of events) {
    if (e.type === 'dropout' && e.mode === 'silent') silent.push({ from: e.at, to: e.at + e.duration });
    else if (e.type === 'stuck') stuck.push({ from: e.at, to: e.at + e.duration, ...(e.metrics ? { metrics: e.metrics } : {}) });
    else if (e.type === 'clock-skew') skews.push({ from: e.at, to: e.duration === undefined ? Infinity : e.at + e.duration, offset: e.offset });
    else if (e.type === 'spike') spikes.push({ at: e.at, remaining: e.count, metric: e.metric, value: e.value });
    else if (e.type === 'malformed') malformed.push({ at: e.at, remaining: e.count, variant: e.variant });
  }

  const out: Action[] = [...changes];
  let last: { t: number; sample: Sample } | undefined;
  let seq = 0;
  for (let t = phase; t <= scenario.duration; t += step) {
    const sample = model.sample(t);
    const faults: ('malformed' | 'spike' | 'stuck' | 'skew')[] = [];
    for (const w of stuck) {
      if (t < w.from || t >= w.to) continue;
      w.frozen ??= last?.sample ?? sample;
      for (const k of w.metrics ?? Object.keys(sample.metrics)) {
        const v = w.frozen.metrics[k];
        if (v !== undefined) sample.metrics[k] = v;
      }
      faults.push('stuck');
    }
    const due = last === undefined || t - last.t >= interval || changed(model.deadband, last.sample, sample);
    if (!due || within(silent, t) || !connectedAt(changes, t)) continue;

    const spike = spikes.find((s) => s.at <= t && s.remaining > 0);
    if (spike) {
      spike.remaining--;
      sample.metrics[spike.metric] = spike.value;
      faults.push('spike');
    }
    const skew = skews.filter((w) => t >= w.from && t < w.to).reduce((sum, w) => sum + w.offset, 0);
    if (skew !== 0) faults.push('skew');
    const ts = start + t + skew;
    seq++;
    const input = { device, ts, sample, seq };
    const bad = malformed.find((m) => m.at <= t && m.remaining > 0);
    let payload: Payload;
    if (bad) {
      bad.remaining--;
      payload = malform(input, bad.variant, () => faultRng.next());
      faults.push('malformed');
    } else {
      payload = encodePayload(input);
    }
    out.push({ t, device: device.id, type: 'telemetry', ts, payload, ...(faults.length ? { faults } : {}) });
    // A spike or a malformed report is not what the device believes it measured.
    if (!spike && !bad) last = { t, sample };
    else last = { t, sample: last?.sample ?? sample };
  }
  return out.sort((a, b) => a.t - b.t || RANK[a.type] - RANK[b.type]);
}

function changed(deadband: Readonly<Record<string, number>>, before: Sample, now: Sample): boolean {
  for (const [k, band] of Object.entries(deadband)) {
    const a = before.metrics[k];
    const b = now.metrics[k];
    if (a !== undefined && b !== undefined && Math.abs(b - a) >= band) return true;
  }
  for (const [k, v] of Object.entries(now.states)) if (before.states[k] !== v) return true;
  return false;
}

/** How many actions of each kind a plan has (for progress and summaries). */
export function planCounts(plan: Plan): { connects: number; disconnects: number; telemetry: number; faulty: number } {
  const c = { connects: 0, disconnects: 0, telemetry: 0, faulty: 0 };
  for (const a of plan.actions) {
    if (a.type === 'connect') c.connects++;
    else if (a.type === 'disconnect') c.disconnects++;
    else {
      c.telemetry++;
      if (a.faults) c.faulty++;
    }
  }
  return c;
}
