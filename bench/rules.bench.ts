import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bench, describe } from 'vitest';
import type { DeviceKind, Reading } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import { createRuleEngine, parseRuleFile } from '@ganzhi/rules';
import type { DeviceRuleState, SiteRuleState } from '@ganzhi/rules';

// Run: npx vitest bench --run --project unit bench/rules.bench.ts
// One op = one evaluate() of one reading against the default rules (deploy/rules) of its kind,
// rotating over 1000 devices per kind on 50 sites, with values that move through the grades.

const DIR = fileURLToPath(new URL('../deploy/rules', import.meta.url));
const files = readdirSync(DIR)
  .filter((n) => n.endsWith('.json'))
  .sort()
  .map((n) => parseRuleFile(JSON.parse(readFileSync(join(DIR, n), 'utf8')), n));
const engine = createRuleEngine(files);

const T0 = Date.UTC(2026, 5, 1);
const DEVICES = 1000;
const SITES = 50;

type Wave = (w: number, i: number) => { m: Record<string, number>; s?: Record<string, string | boolean> };
const waves: Record<DeviceKind, Wave> = {
  river_gauge: (w) => ({ m: { waterLevel: 13 + 2.6 * w, rainfall: 0.5, rain1h: 4, batteryV: 12.4 } }),
  air_monitor: (w) => ({ m: { pm25: 60 + 60 * w, pm10: 80 + 40 * w, so2: 10, no2: 30, o3: 90, co: 0.7, temperature: 20, humidity: 60 } }),
  fire_sensor: (w, i) => ({ m: { smokeAlarm: i % 997 === 0 ? 1 : 0, temperature: 25 + 40 * Math.max(0, w), hydrantPressure: 0.11 + 0.04 * w, residualCurrent: 250 + 150 * w, cableTemperature: 45 + 20 * w, battery: 80 } }),
  port_device: (w, i) => ({ m: { windSpeed: 12 + 8 * w, windGust: 17 + 9 * w, windDirection: 120, reeferSupplyTemp: -18 + 5 * w, reeferSetpoint: -18 }, s: { craneState: i % 3 === 0 ? 'operating' : 'idle', reeferDefrost: false, reeferPower: true } }),
};

/** Precomputed inputs (256 points of the wave per kind), so the bench measures the engine, not object building. */
const POOL = 256;
const pools = Object.fromEntries(
  (Object.keys(waves) as DeviceKind[]).map((kind) => [
    kind,
    Array.from({ length: POOL }, (_, k) => {
      const { m, s } = waves[kind](Math.sin(k / 40), k);
      const metrics: Reading['metrics'] = {};
      for (const name in m) metrics[name] = { value: m[name]!, unit: 'x', quality: 'N' };
      return { metrics, states: s };
    }),
  ]),
) as Record<DeviceKind, { metrics: Reading['metrics']; states: Reading['states'] }[]>;

interface Fleet {
  devices: Device[];
  readings: Reading[];
  states: (DeviceRuleState | undefined)[];
  sites: Map<string, SiteRuleState>;
  step: number;
  signals: number;
}

function fleet(kind: DeviceKind): Fleet {
  const attributes: Device['attributes'] = kind === 'river_gauge' ? { warningLevel: 12.5, guaranteedLevel: 14.0, historicalMax: 15.2 } : {};
  const devices = Array.from({ length: DEVICES }, (_, i): Device => ({ id: `${kind}-${i}`, kind, site: `${kind}-site-${i % SITES}`, format: 'json', secret: 'scrypt$1$1$1$AA==$AA==', reportIntervalSec: 60, attributes }));
  const readings = devices.map((d): Reading => ({ deviceId: d.id, kind, site: d.site!, ts: T0, metrics: {}, sourceId: 'x', receivedAt: T0 }));
  return { devices, readings, states: devices.map(() => undefined), sites: new Map(), step: 0, signals: 0 };
}

/** Evaluates the next reading of the next device; values follow a slow wave so that grades change now and then. */
function next(f: Fleet, kind: DeviceKind): void {
  const n = f.step++;
  const i = n % DEVICES;
  const round = Math.floor(n / DEVICES);
  const d = f.devices[i]!;
  const r = f.readings[i]!;
  r.ts = T0 + round * 60_000;
  r.receivedAt = r.ts;
  r.sourceId = `${d.id}@${round}`;
  const input = pools[kind][(round + i) % POOL]!;
  r.metrics = input.metrics;
  if (input.states) r.states = input.states;
  const out = engine.evaluate(r, d, f.states[i], f.sites.get(d.site!));
  f.states[i] = out.state;
  if (out.siteState) f.sites.set(d.site!, out.siteState);
  f.signals += out.signals.length;
}

const KINDS: DeviceKind[] = ['river_gauge', 'air_monitor', 'fire_sensor', 'port_device'];

describe('rules evaluate() with the default rules, per kind', () => {
  for (const kind of KINDS) {
    const f = fleet(kind);
    bench(kind, () => next(f, kind), { time: 1000 });
  }
});

describe('rules tick() sweep', () => {
  const f = fleet('fire_sensor');
  for (let k = 0; k < DEVICES * 3; k++) next(f, 'fire_sensor');
  let now = T0 + 3 * 60_000;
  bench('tick, 1000 fire sensors', () => {
    now += 1000;
    for (let i = 0; i < DEVICES; i++) {
      const d = f.devices[i]!;
      const out = engine.tick(d, f.states[i], now, f.sites.get(d.site!));
      f.states[i] = out.state;
    }
  }, { time: 1000 });
});
