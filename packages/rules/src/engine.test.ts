import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Device } from '@ganzhi/registry';
import { createRuleEngine } from './engine';
import type { RuleEngine } from './engine';
import { loadRuleFiles } from './load';
import { DeviceRuleStateSchema, SiteRuleStateSchema } from './state';
import type { DeviceRuleState, SiteRuleState } from './state';
import { T0, device, engineOf, reading, summarise } from './test-support';

const DEFAULTS = fileURLToPath(new URL('../../../deploy/rules', import.meta.url));

const hi = (extra: Record<string, unknown> = {}) => ({
  id: 'hi',
  title: 'high',
  source: 'test',
  kind: 'river_gauge',
  type: 'threshold',
  metric: 'x',
  direction: 'above',
  thresholds: { yellow: 10 },
  ...extra,
});

describe('rule engine', () => {
  const g = device('g1', 'river_gauge', { attributes: { zone: 'a' } });

  it('a rule removed from the files clears what it had raised, on the next reading', () => {
    const before = engineOf([hi(), hi({ id: 'other', metric: 'y' })]);
    const first = before.evaluate(reading(g, 0, { x: 11 }), g, undefined);
    expect(first.signals.map((s) => `${s.ruleId} ${s.state}`)).toEqual(['hi raise']);
    const after = engineOf([hi({ id: 'other', metric: 'y' })]);
    const next = after.evaluate(reading(g, 10, { x: 11 }), g, first.state);
    expect(next.signals.map((s) => `${s.ruleId} ${s.state}`)).toEqual(['hi clear']);
    expect(next.state.r.hi).toBeUndefined();
  });

  it('a rule whose filter no longer matches the device clears what it had raised', () => {
    const engine = engineOf([hi({ filter: { attributes: { zone: 'a' } } })]);
    const first = engine.evaluate(reading(g, 0, { x: 11 }), g, undefined);
    const moved: Device = { ...g, attributes: { zone: 'b' } };
    const next = engine.evaluate(reading(moved, 10, { x: 11 }), moved, first.state);
    expect(next.signals.map((s) => `${s.ruleId} ${s.state}`)).toEqual(['hi clear']);
  });

  it('updates the state in place and says when a tick changed nothing', () => {
    const engine = engineOf([hi(), { id: 'off', title: 'offline', source: 's', kind: 'river_gauge', type: 'absence' }]);
    const a = engine.evaluate(reading(g, 0, { x: 1 }), g, undefined);
    expect(a.unchanged).toBe(false);
    const b = engine.tick(g, a.state, T0 + 10_000);
    expect(b.state).toBe(a.state);
    expect(b.unchanged).toBe(true);
    expect(b.signals).toHaveLength(0);
    const c = engine.tick(g, a.state, T0 + 181_000);
    expect(c.unchanged).toBe(false);
    expect(c.signals.map((s) => s.category)).toEqual(['offline']);
  });

  it('a device with no time-driven rules is not given state by a tick', () => {
    const out = engineOf([hi()]).tick(g, undefined, T0);
    expect(out.unchanged).toBe(true);
    expect(out.signals).toHaveLength(0);
  });

  it('the restore schemas refuse malformed state', () => {
    expect(DeviceRuleStateSchema.safeParse({ v: 1, fp: 'x', ts: 0, src: '', seen: 0, r: { a: { lv: 9 } } }).success).toBe(false);
    expect(DeviceRuleStateSchema.safeParse({ v: 2, fp: 'x', ts: 0, src: '', seen: 0, r: {} }).success).toBe(false);
    expect(SiteRuleStateSchema.safeParse({ v: 1, fp: 'x', r: { c: { t: [NaN], r: {} } } }).success).toBe(false);
  });

  it('a long mixed stream over the default rules gives the same signals with a restart from JSON in the middle', async () => {
    const engine = createRuleEngine(await loadRuleFiles(DEFAULTS));
    const devices = [
      device('gauge', 'river_gauge', { attributes: { warningLevel: 12.5, guaranteedLevel: 14.0, historicalMax: 15.2 } }),
      device('air', 'air_monitor'),
      device('det-a', 'fire_sensor', { site: 'tower' }),
      device('det-b', 'fire_sensor', { site: 'tower' }),
      device('anemo', 'port_device', { site: 'berth' }),
      device('qc', 'port_device', { site: 'berth' }),
      device('reefer', 'port_device', { site: 'yard' }),
    ];
    const steps = scenario();
    const straight = replay(engine, devices, steps, -1);
    for (const cut of [100, 333, 701]) expect(replay(engine, devices, steps, cut)).toEqual(straight);
    expect(straight.length).toBeGreaterThan(20);
    expect(new Set(straight.map((l) => l.split(' ')[2]))).toEqual(new Set(['raise:blue', 'raise:yellow', 'raise:orange', 'raise:red', 'clear']));
  });
});

type Event = { t: number; dev: string; m?: Record<string, number>; s?: Record<string, string | boolean> } | { tick: number };

/** A deterministic day-like stream: levels rise and fall, a fire, a gust while a crane works, a silent gauge. */
function scenario(): Event[] {
  const out: Event[] = [];
  for (let i = 0; i < 1000; i++) {
    const t = i * 60;
    const wave = Math.sin(i / 40);
    if (i < 800 || i > 900) out.push({ t, dev: 'gauge', m: { waterLevel: 13 + 2.6 * wave, batteryV: 12.5 } });
    out.push({ t, dev: 'air', m: { pm25: 60 + 60 * wave, pm10: 80, so2: 10, no2: 30, co: 0.6, o3: 80 } });
    out.push({ t, dev: 'det-a', m: { residualCurrent: 250 + 200 * wave, temperature: i % 300 === 150 ? 70 : 25 } });
    out.push({ t, dev: 'det-b', m: { smokeAlarm: i % 300 === 149 ? 1 : 0, hydrantPressure: 0.09 + 0.05 * wave } });
    out.push({ t, dev: 'anemo', m: { windSpeed: 12 + 8 * wave, windGust: 16 + 10 * wave } });
    out.push({ t, dev: 'qc', s: { craneState: i % 200 < 100 ? 'operating' : 'parked' } });
    out.push({ t, dev: 'reefer', m: { reeferSupplyTemp: i % 400 < 200 ? -18 : -13, reeferSetpoint: -18 }, s: { reeferDefrost: i % 400 === 250, reeferPower: i % 500 !== 499 } });
    if (i % 5 === 4) out.push({ tick: t + 30 });
  }
  return out;
}

function replay(engine: RuleEngine, devices: Device[], steps: Event[], cut: number): string[] {
  const byId = new Map(devices.map((d) => [d.id, d]));
  let states = new Map<string, DeviceRuleState>();
  let sites = new Map<string, SiteRuleState>();
  const lines: string[] = [];
  steps.forEach((step, n) => {
    if (n === cut) {
      states = new Map([...states].map(([k, v]) => [k, DeviceRuleStateSchema.parse(JSON.parse(JSON.stringify(v))) as DeviceRuleState]));
      sites = new Map([...sites].map(([k, v]) => [k, SiteRuleStateSchema.parse(JSON.parse(JSON.stringify(v))) as SiteRuleState]));
    }
    const targets = 'tick' in step ? devices : [byId.get(step.dev)!];
    for (const d of targets) {
      const ss = d.site === undefined ? undefined : sites.get(d.site);
      const out = 'tick' in step ? engine.tick(d, states.get(d.id), T0 + step.tick * 1000, ss) : engine.evaluate(reading(d, step.t, step.m ?? {}, { s: step.s }), d, states.get(d.id), ss);
      for (const s of out.signals) lines.push(`${summarise(s)} ${s.ruleId}`);
      states.set(d.id, out.state);
      if (d.site !== undefined && out.siteState !== undefined) sites.set(d.site, out.siteState);
    }
  });
  return lines;
}

describe('status messages', () => {
  it('prove a device alive without taking part in per-device ordering, so later telemetry with an earlier device clock still counts', () => {
    const engine = engineOf([{ id: 'level', type: 'threshold', title: 'level', source: 'test', kind: 'river_gauge', metric: 'waterLevel', direction: 'above', thresholds: { red: 10 } }]);
    const d = device('g1', 'river_gauge');
    // the gateway stamps the status at its own clock, a minute ahead of the device's
    const status = { ...reading(d, 60, { online: 1 }, { s: { status: 'online' } }), origin: 'status' as const };
    const first = engine.evaluate(status, d, undefined);
    const out = engine.evaluate(reading(d, 0, { waterLevel: 11 }), d, first.state);
    expect(out.signals.map((s) => [s.ruleId, s.state, s.level])).toEqual([['level', 'raise', 'red']]);
  });
});
