import type { Action, Plan } from '../plan';
import type { Fleet } from './fleet';

/**
 * When the actions of a plan happen. `until(t)` resolves once the run may carry out the actions
 * at scenario time `t` (ms from the start); `flush` waits for every publish still in flight.
 */
export interface Pacer {
  until(t: number, flush: () => Promise<void>): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Real time scaled by `speed` (60 = one scenario hour per real minute), from the first call. */
export function realtimePacer(speed: number, now: () => number = Date.now): Pacer {
  if (!(speed > 0)) throw new RangeError(`speed must be positive: ${speed}`);
  let origin: number | undefined;
  return {
    async until(t) {
      origin ??= now() - t / speed;
      const wait = origin + t / speed - now();
      if (wait > 0) await sleep(wait);
    },
  };
}

/** As fast as the pipeline acknowledges. */
export function fastPacer(): Pacer {
  return { until: async () => undefined };
}

/**
 * A controllable clock for runs against an in-process pipeline: before the run passes each
 * multiple of `every`, everything in flight is flushed and `step(tick)` runs (set the fake clock,
 * let the pipeline drain, run its time-driven sweeps); `at(t)` is told the time of each action.
 */
export function steppedPacer(options: { every: number; step: (t: number) => Promise<void>; at?: (t: number) => void }): Pacer {
  let next = options.every;
  return {
    async until(t, flush) {
      while (next <= t) {
        await flush();
        await options.step(next);
        next += options.every;
      }
      options.at?.(t);
    },
  };
}

export interface RunProgress {
  /** Scenario time reached, ms from the start. */
  readonly t: number;
  readonly done: number;
  readonly total: number;
}

export interface ExecuteOptions {
  readonly fleet: Fleet;
  readonly pacer: Pacer;
  /** Publishes in flight across the fleet before the run waits (default 500). */
  readonly maxInFlight?: number;
  readonly onProgress?: (p: RunProgress) => void;
  /** Stops the run early (e.g. on SIGINT). */
  readonly signal?: AbortSignal;
}

export interface ExecuteResult {
  readonly actions: number;
  readonly telemetry: number;
  readonly aborted: boolean;
}

/**
 * Carries out a plan's actions over the fleet at the pacer's times. A device's reports go out in
 * order on its connection; a disconnect waits for that device's reports in flight.
 */
export async function executePlan(plan: Plan, options: ExecuteOptions): Promise<ExecuteResult> {
  const { fleet, pacer } = options;
  const maxInFlight = options.maxInFlight ?? 500;
  const inFlight = new Set<Promise<void>>();
  const perDevice = new Map<string, Set<Promise<void>>>();
  const flush = async () => {
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  };
  const flushDevice = async (id: string) => {
    const mine = perDevice.get(id);
    while (mine && mine.size > 0) await Promise.all([...mine]);
  };
  const track = (id: string, p: Promise<void>) => {
    let mine = perDevice.get(id);
    if (!mine) perDevice.set(id, (mine = new Set()));
    const set = mine;
    const tracked = p.finally(() => {
      inFlight.delete(tracked);
      set.delete(tracked);
    });
    inFlight.add(tracked);
    set.add(tracked);
  };

  let done = 0;
  let telemetry = 0;
  let lastReport = -1;
  const report = (t: number) => {
    const pct = Math.floor((done * 100) / Math.max(1, plan.actions.length));
    if (pct !== lastReport) {
      lastReport = pct;
      options.onProgress?.({ t, done, total: plan.actions.length });
    }
  };

  for (const action of plan.actions) {
    if (options.signal?.aborted) break;
    await pacer.until(action.t, flush);
    await perform(action);
    done++;
    report(action.t);
  }
  if (!options.signal?.aborted) await pacer.until(plan.duration, flush);
  await flush();
  options.onProgress?.({ t: plan.duration, done, total: plan.actions.length });
  return { actions: done, telemetry, aborted: options.signal?.aborted === true };

  async function perform(action: Action): Promise<void> {
    switch (action.type) {
      case 'connect':
        await flushDevice(action.device);
        await fleet.connect(action.device);
        return;
      case 'disconnect':
        await flushDevice(action.device);
        await fleet.disconnect(action.device, action.mode);
        return;
      case 'telemetry':
        telemetry++;
        track(action.device, fleet.publish(action.device, action.payload));
        while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
        return;
      default: {
        const never: never = action;
        throw new Error(`unknown action ${JSON.stringify(never)}`);
      }
    }
  }
}
