import type { DeviceKind, Level, Reading, Signal } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import type { RuleFilter } from './schema';
import type { DeviceRuleState, GradeSlot, SiteRuleState } from './state';

/** Severity number -> level name (0 = none). */
export const LEVEL_BY_SEVERITY: readonly (Level | undefined)[] = [undefined, 'blue', 'yellow', 'orange', 'red'];
export const SEVERITY_OF: Readonly<Record<Level, number>> = { blue: 1, yellow: 2, orange: 3, red: 4 };

export type Category = 'value' | 'offline';
export type Applies = (device: Device, site: string | undefined) => boolean;

/** A compiled rule evaluated on a device's readings, with its state in the device state. */
export interface DeviceRule {
  readonly id: string;
  readonly applies: Applies | undefined;
  evaluate(r: Reading, d: Device, st: DeviceRuleState, out: Signal[]): void;
  /** Time-driven part (composite windows running out); returns whether the state changed. */
  tick?(d: Device, st: DeviceRuleState, now: number, out: Signal[]): boolean;
}

export interface AbsenceCompiled {
  readonly id: string;
  readonly applies: Applies | undefined;
  /** A reading arrived: clear the offline signal if raised. */
  seen(r: Reading, d: Device, st: DeviceRuleState, out: Signal[]): void;
  tick(d: Device, st: DeviceRuleState, now: number, out: Signal[]): boolean;
}

/** A compiled site-scope composite, with its state in the site state. */
export interface SiteRule {
  readonly id: string;
  readonly applies: Applies | undefined;
  evaluate(r: Reading, d: Device, site: string, ss: SiteRuleState, out: Signal[]): boolean;
  tick(site: string, ss: SiteRuleState, now: number, out: Signal[]): boolean;
}

export function compileFilter(f: RuleFilter | undefined): Applies | undefined {
  if (f === undefined) return undefined;
  const sites = f.sites && new Set(f.sites);
  const devices = f.devices && new Set(f.devices);
  const attrs = f.attributes && Object.entries(f.attributes).map(([k, v]) => [k, new Set(Array.isArray(v) ? v : [v])] as const);
  return (d, site) => {
    if (sites && (site === undefined || !sites.has(site))) return false;
    if (devices && !devices.has(d.id)) return false;
    if (attrs) {
      for (const [k, accepted] of attrs) {
        const a = d.attributes[k];
        if (a === undefined || !accepted.has(a)) return false;
      }
    }
    return true;
  };
}

/**
 * `o[k]` for an own property only: keys that come from devices or the bus (metric and state names,
 * device ids) must never find an Object.prototype member (`toString`, `constructor`, `__proto__`).
 */
export function own<T>(o: Readonly<Record<string, T>> | undefined, k: string): T | undefined {
  return o !== undefined && Object.hasOwn(o, k) ? o[k] : undefined;
}

/** `o[k] = v` as an own data property, also when `k` is `__proto__` (a device id may be anything IdSchema allows). */
export function setOwn<T>(o: Record<string, T>, k: string, v: T): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** Numbers in messages: at most 3 decimals, no float noise. */
export function fmt(v: number): string {
  return String(Math.round(v * 1000) / 1000);
}

/** Builds a signal; optional fields are left out when undefined. */
export function makeSignal(
  deviceId: string,
  kind: DeviceKind,
  site: string | undefined,
  ruleId: string,
  category: Category,
  severity: number,
  ts: number,
  sourceId: string,
  metric?: string,
  value?: number,
  threshold?: number,
  message?: string,
): Signal {
  const s: Signal = { deviceId, kind, ruleId, state: severity > 0 ? 'raise' : 'clear', category, ts, sourceId };
  if (site !== undefined) s.site = site;
  const level = LEVEL_BY_SEVERITY[severity];
  if (level !== undefined) s.level = level;
  if (metric !== undefined) s.metric = metric;
  if (value !== undefined && Number.isFinite(value)) s.value = Math.round(value * 1e6) / 1e6;
  if (threshold !== undefined && Number.isFinite(threshold)) s.threshold = threshold;
  if (message !== undefined) s.message = message.length > 512 ? message.slice(0, 512) : message;
  return s;
}

export const tickSource = (now: number): string => `tick:${now}`;

/** Tests a reading's states against a suppress clause and keeps the slot's suppression window. */
export interface SuppressSpec {
  readonly state: string;
  readonly values: ReadonlySet<string | number | boolean>;
  readonly afterMs: number;
}

/** While the state holds, `su` stays at this value ("until told otherwise"). */
const ACTIVE = Number.MAX_SAFE_INTEGER;

export function compileSuppress(s: { state: string; in: (string | number | boolean)[]; afterSec: number } | undefined): SuppressSpec | undefined {
  return s === undefined ? undefined : { state: s.state, values: new Set(s.in), afterMs: s.afterSec * 1000 };
}

/** True when the rule must skip this reading; the state is remembered until a reading says otherwise. */
export function suppressed(spec: SuppressSpec, r: Reading, slot: GradeSlot): boolean {
  const s = own(r.states, spec.state);
  if (s !== undefined) {
    if (spec.values.has(s)) slot.su = ACTIVE;
    else if (slot.su === ACTIVE) slot.su = r.ts + spec.afterMs;
  }
  return r.ts < slot.su;
}
