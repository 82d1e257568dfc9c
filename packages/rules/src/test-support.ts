import type { DeviceKind, Quality, Reading, Signal } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import { createRuleEngine } from './engine';
import type { RuleEngine } from './engine';
import { parseRuleFile } from './schema';
import { DeviceRuleStateSchema, SiteRuleStateSchema } from './state';
import type { DeviceRuleState, SiteRuleState } from './state';

/**
 * Table-test support (tests only, not exported from the package): steps with times in seconds
 * from T0, run through an engine, signals summarised as `"<t>s <device> <state>[:<level>]"`.
 */

/** 2026-06-01T00:00:00Z: under HJ 633-2026. */
export const T0 = Date.UTC(2026, 5, 1);

export function device(id: string, kind: DeviceKind, over: Partial<Device> = {}): Device {
  return { id, kind, format: 'json', secret: 'scrypt$1$1$1$AA==$AA==', reportIntervalSec: 60, attributes: {}, ...over };
}

export type MetricIn = number | [number, Quality];

export type Step =
  | { t: number; dev?: string; m?: Record<string, MetricIn>; s?: Record<string, string | boolean>; recv?: number; src?: string; p?: Reading['period'] }
  | { tick: number; dev?: string };

export interface Table {
  name: string;
  input: Step[];
  expect: string[];
}

export function engineOf(rules: unknown[]): RuleEngine {
  return createRuleEngine([parseRuleFile({ rules }, 'test.json')]);
}

export function reading(d: Device, tSec: number, m: Record<string, MetricIn>, extra: { s?: Record<string, string | boolean>; recv?: number; src?: string; p?: Reading['period'] } = {}, t0 = T0): Reading {
  const metrics: Reading['metrics'] = {};
  for (const [k, v] of Object.entries(m)) metrics[k] = Array.isArray(v) ? { value: v[0], unit: 'x', quality: v[1] } : { value: v, unit: 'x', quality: 'N' };
  const ts = t0 + tSec * 1000;
  const r: Reading = { deviceId: d.id, kind: d.kind, ts, metrics, sourceId: extra.src ?? `${d.id}@${tSec}`, receivedAt: extra.recv === undefined ? ts : t0 + extra.recv * 1000 };
  if (d.site !== undefined) r.site = d.site;
  if (extra.s !== undefined) r.states = extra.s;
  if (extra.p !== undefined) r.period = extra.p;
  return r;
}

export function summarise(s: Signal, t0 = T0): string {
  return `${(s.ts - t0) / 1000}s ${s.deviceId} ${s.state}${s.level ? `:${s.level}` : ''}`;
}

/**
 * Runs `steps` against `devices` (the first is the default `dev`). With `roundTrip`, every state
 * goes through JSON and the restore schemas after every step, as after a restart.
 */
export function run(engine: RuleEngine, devices: Device[], steps: Step[], opts: { roundTrip?: boolean; t0?: number } = {}): { lines: string[]; signals: Signal[] } {
  const t0 = opts.t0 ?? T0;
  const byId = new Map(devices.map((d) => [d.id, d]));
  let states = new Map<string, DeviceRuleState>();
  let sites = new Map<string, SiteRuleState>();
  const signals: Signal[] = [];
  for (const step of steps) {
    const d = byId.get(step.dev ?? devices[0]!.id)!;
    const ss = d.site === undefined ? undefined : sites.get(d.site);
    const out = 'tick' in step ? engine.tick(d, states.get(d.id), t0 + step.tick * 1000, ss) : engine.evaluate(reading(d, step.t, step.m ?? {}, step, t0), d, states.get(d.id), ss);
    signals.push(...out.signals);
    states.set(d.id, out.state);
    if (d.site !== undefined && out.siteState !== undefined) sites.set(d.site, out.siteState);
    if (opts.roundTrip) {
      states = new Map([...states].map(([k, v]) => [k, DeviceRuleStateSchema.parse(JSON.parse(JSON.stringify(v))) as DeviceRuleState]));
      sites = new Map([...sites].map(([k, v]) => [k, SiteRuleStateSchema.parse(JSON.parse(JSON.stringify(v))) as SiteRuleState]));
    }
  }
  return { lines: signals.map((s) => summarise(s, t0)), signals };
}

/** Readings at `from`, `from+every`, ... with the same metrics. */
export function series(from: number, every: number, values: number[], metric: string, dev?: string): Step[] {
  return values.map((v, i) => (dev === undefined ? { t: from + i * every, m: { [metric]: v } } : { t: from + i * every, dev, m: { [metric]: v } }));
}
