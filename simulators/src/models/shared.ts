import { GanzhiError } from '@ganzhi/schemas';
import type { Rng } from '../rng';
import type { ParamValue, ScenarioDevice, ScenarioEvent } from '../scenario/schema';

/** One sample of a device: numeric metrics and states, under their JSON payload field names. */
export interface Sample {
  metrics: Record<string, number>;
  states: Record<string, string | boolean>;
}

/**
 * A device model: the physical quantities a device measures, as a function of scenario time.
 * Stateful (random walks, first-order lags): call `sample` with non-decreasing `t` only.
 */
export interface DeviceModel {
  /** Values at `t` ms after the scenario start. */
  sample(t: number): Sample;
  /** Smallest change of a metric that makes a report-on-change device report early. */
  readonly deadband: Readonly<Record<string, number>>;
}

export interface ModelInit {
  readonly device: ScenarioDevice;
  /** The scenario events that target this device, in time order. */
  readonly events: readonly ScenarioEvent[];
  readonly rng: Rng;
  /** Epoch ms of t = 0 (for the time of day). */
  readonly start: number;
}

export const HOUR = 3_600_000;
export const MINUTE = 60_000;

/** Hour of day (0..24, fractional) in China time (UTC+8), where the cycles of city life happen. */
export function chinaHour(epochMs: number): number {
  const h = (epochMs / HOUR + 8) % 24;
  return h < 0 ? h + 24 : h;
}

export const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
export const smoothstep = (x: number) => {
  const c = clamp(x, 0, 1);
  return c * c * (3 - 2 * c);
};

/**
 * A trapezoid with smooth edges: 0 before `at`, rising to 1 over `up`, 1 for `hold`, back to 0
 * over `down`. The shape of episodes (haze, storms, faults).
 */
export function envelope(t: number, at: number, up: number, hold: number, down: number): number {
  if (t <= at) return 0;
  if (t < at + up) return smoothstep((t - at) / up);
  if (t <= at + up + hold) return 1;
  if (down <= 0) return 0;
  return 1 - smoothstep((t - at - up - hold) / down);
}

/** Rounds to `decimals` places (values on the wire have a sensor's resolution). */
export function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

/**
 * Typed reading of a device's `params`, refusing unknown names so that a typo in a scenario is an
 * error instead of a silently ignored setting. Call `done()` after reading every parameter.
 */
export function paramReader(device: ScenarioDevice) {
  const used = new Set<string>();
  const bad = (name: string, what: string) =>
    new GanzhiError('GANZHI_ERR_SIM_SCENARIO', `device ${device.id}: params.${name} must be ${what}`);
  const get = (name: string): ParamValue | undefined => {
    used.add(name);
    return device.params[name];
  };
  return {
    num(name: string, def: number): number {
      const v = get(name);
      if (v === undefined) return def;
      if (typeof v !== 'number') throw bad(name, 'a number');
      return v;
    },
    bool(name: string, def: boolean): boolean {
      const v = get(name);
      if (v === undefined) return def;
      if (typeof v !== 'boolean') throw bad(name, 'true or false');
      return v;
    },
    /** A list from an array or a comma-separated string, checked against `allowed`. */
    list<T extends string>(name: string, allowed: readonly T[], def: readonly T[]): readonly T[] {
      const v = get(name);
      if (v === undefined) return def;
      const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
      if (items === undefined || items.some((i) => !(allowed as readonly string[]).includes(i))) throw bad(name, `a list of ${allowed.join('|')}`);
      return items as T[];
    },
    done(): void {
      const unknown = Object.keys(device.params).filter((k) => !used.has(k));
      if (unknown.length > 0) {
        throw new GanzhiError('GANZHI_ERR_SIM_SCENARIO', `device ${device.id}: unknown model parameter(s) ${unknown.join(', ')} (known: ${[...used].join(', ')})`);
      }
    },
  };
}

/** A numeric device attribute, if present. */
export function numAttr(device: ScenarioDevice, name: string): number | undefined {
  const v = device.attributes[name];
  return typeof v === 'number' ? v : undefined;
}

/** Events of one type, narrowed. */
export function eventsOf<T extends ScenarioEvent['type']>(events: readonly ScenarioEvent[], type: T): Extract<ScenarioEvent, { type: T }>[] {
  return events.filter((e): e is Extract<ScenarioEvent, { type: T }> => e.type === type);
}
