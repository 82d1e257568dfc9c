import { describe, expect, it } from 'vitest';
import { createRng } from '../rng';
import { parseScenario } from '../scenario/load';
import type { ScenarioInput } from '../scenario/schema';
import { createModel, type Sample } from '.';

const MIN = 60_000;
const HOUR = 3_600_000;

/** A model from a one-device scenario, sampled every `step` over `hours`. */
function series(device: ScenarioInput['devices'][number], events: ScenarioInput['events'], hours: number, step = 5 * MIN, start = '2026-06-01T00:00:00+08:00') {
  const s = parseScenario({ name: 'm', title: 'm', seed: 9, start, duration: `${hours}h`, devices: [device], events });
  const model = createModel({ device: s.devices[0]!, events: s.events, rng: createRng(9, 'm'), start: s.start });
  const out: (Sample & { t: number })[] = [];
  for (let t = 0; t <= hours * HOUR; t += step) out.push({ t, ...model.sample(t) });
  return out;
}
const max = (xs: readonly number[]) => Math.max(...xs);
const at = (rows: readonly (Sample & { t: number })[], t: number) => rows.reduce((a, b) => (Math.abs(b.t - t) < Math.abs(a.t - t) ? b : a));

describe('river gauge', () => {
  const gauge = { id: 'g', kind: 'river_gauge' as const, attributes: { warningLevel: 12.5, guaranteedLevel: 14, historicalMax: 15.2 } };

  it('sits near its base level below the warning level on a dry day', () => {
    const rows = series(gauge, [], 24);
    for (const r of rows) {
      expect(r.metrics.waterLevel!).toBeGreaterThan(10.8);
      expect(r.metrics.waterLevel!).toBeLessThan(11.2);
      expect(r.metrics.rainfall).toBe(0);
    }
  });

  it('rises after the rain to the crest the event names (a station level plus an offset), then recedes', () => {
    const rows = series(gauge, [{ type: 'rain', at: '2h', duration: '10h', peakMmPerHour: 25, crest: { attribute: 'historicalMax', plus: 0.3 }, lag: '6h' }], 48);
    const levels = rows.map((r) => r.metrics.waterLevel!);
    const crest = max(levels);
    expect(crest).toBeGreaterThan(15.4);
    expect(crest).toBeLessThan(15.6);
    const crestAt = rows[levels.indexOf(crest)]!.t;
    expect(crestAt).toBeGreaterThan(7 * HOUR + 3 * HOUR); // after the rain's peak (7 h) plus most of the lag
    expect(crestAt).toBeLessThan(7 * HOUR + 9 * HOUR);
    expect(at(rows, 47 * HOUR).metrics.waterLevel!).toBeLessThan(crest - 1.5);
    const rain = rows.reduce((s, r) => s + r.metrics.rainfall!, 0);
    expect(rain).toBeGreaterThan(100); // 25 mm/h peak over 10 h is 125 mm; the gauge tips in 0.5 mm
    expect(rain).toBeLessThan(170);
    expect(max(rows.map((r) => r.metrics.rain1h!))).toBeGreaterThan(15);
  });
});

describe('air monitor', () => {
  const air = { id: 'a', kind: 'air_monitor' as const };

  it('follows the city day: NO2 higher at the morning rush than at 3 a.m., O3 highest in the afternoon', () => {
    const days = series(air, [], 72);
    const hourOf = (t: number) => (t / HOUR + 0) % 24; // start is midnight China time
    const mean = (h: number, m: 'no2' | 'o3') => {
      const xs = days.filter((r) => Math.abs(hourOf(r.t) - h) < 0.5).map((r) => r.metrics[m]!);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    expect(mean(8, 'no2')).toBeGreaterThan(mean(3, 'no2') * 1.5);
    expect(mean(14.5, 'o3')).toBeGreaterThan(mean(3, 'o3') * 2);
  });

  it('builds a haze episode to about its peak PM2.5 and lets it go again', () => {
    const rows = series(air, [{ type: 'haze', at: '6h', rampUp: '6h', hold: '6h', rampDown: '6h', pm25: 250 }], 30);
    const during = rows.filter((r) => r.t >= 13 * HOUR && r.t <= 17 * HOUR).map((r) => r.metrics.pm25!);
    expect(Math.min(...during)).toBeGreaterThan(200);
    expect(max(during)).toBeLessThan(330);
    expect(at(rows, 29 * HOUR).metrics.pm25!).toBeLessThan(70);
    expect(at(rows, 15 * HOUR).metrics.pm10!).toBeGreaterThan(at(rows, 15 * HOUR).metrics.pm25!);
  });
});

describe('fire sensors', () => {
  it('see smoke first, then heat; sprinklers open at 68 degC and the sprinkler pipe pressure falls', () => {
    const rows = series({ id: 'f', kind: 'fire_sensor', params: { sprinklerFlowing: 0.08 } }, [{ type: 'fire', at: '10m', smoulder: '8m', growth: 'medium', outAfter: '60m' }], 2, 10_000);
    const first = (pred: (r: Sample) => boolean) => rows.find(pred)?.t ?? Infinity;
    const smoke = first((r) => r.metrics.smoke! >= 4);
    const heat = first((r) => r.metrics.heat! >= 57);
    const sprinkler = first((r) => r.metrics.sprinklerPressure! < 0.1);
    expect(smoke).toBeLessThan(heat);
    expect(heat).toBeLessThan(40 * MIN);
    expect(sprinkler).toBeGreaterThanOrEqual(heat);
    expect(sprinkler).toBeLessThan(heat + 3 * MIN);
    expect(max(rows.map((r) => r.metrics.heat!))).toBeLessThanOrEqual(150); // detectors saturate
    expect(at(rows, 2 * HOUR).metrics.sprinklerPressure!).toBeGreaterThan(0.3); // valves shut after the fire
  });

  it('measure only what their sensors list says', () => {
    const rows = series({ id: 'f', kind: 'fire_sensor', params: { sensors: ['electrical'] } }, [{ type: 'electrical-fault', at: '1h', ramp: '30m', hold: '1h', residualCurrent: 600, cableTemperature: 95 }], 4);
    expect(Object.keys(rows[0]!.metrics).sort()).toEqual(['cableTemperature', 'residualCurrent']);
    expect(at(rows, 2 * HOUR).metrics.residualCurrent!).toBeGreaterThan(550);
    expect(at(rows, 30 * MIN).metrics.residualCurrent!).toBeLessThan(150);
  });

  it('refuse an unknown parameter by name', () => {
    expect(() => series({ id: 'f', kind: 'fire_sensor', params: { ceilingHight: 9 } }, [], 1)).toThrow(/unknown model parameter\(s\) ceilingHight/);
  });
});

describe('port devices', () => {
  const typhoon = [{ type: 'typhoon' as const, at: '2h', rampUp: '6h', hold: '2h', rampDown: '4h', peakWind: 33 }];

  it('blow up to the typhoon peak with gusts above the mean, and a careful crane is parked or stowed by then', () => {
    const rows = series({ id: 'p', kind: 'port_device', params: { sensors: ['wind', 'crane'] } }, typhoon, 16, MIN);
    const peak = rows.filter((r) => r.t >= 8 * HOUR && r.t <= 10 * HOUR);
    expect(Math.min(...peak.map((r) => r.metrics.windSpeed!))).toBeGreaterThan(25);
    expect(peak.every((r) => r.metrics.windGust! >= r.metrics.windSpeed!)).toBe(true);
    expect(peak.every((r) => r.states.craneState === 'stowed')).toBe(true);
    expect(rows.filter((r) => r.metrics.windGust! >= 20).every((r) => r.states.craneState !== 'operating')).toBe(true);
  });

  it('a reckless crane keeps operating in the same storm', () => {
    const rows = series({ id: 'p', kind: 'port_device', params: { sensors: ['wind', 'crane'], reckless: true } }, typhoon, 16, MIN);
    expect(rows.some((r) => r.metrics.windGust! >= 25 && r.states.craneState === 'operating')).toBe(true);
  });

  it('a reefer holds its setpoint, defrosts now and then, and warms towards ambient without power', () => {
    const rows = series({ id: 'p', kind: 'port_device', params: { sensors: ['reefer'], setpoint: -18, defrostEvery: 6 } }, [{ type: 'reefer-power-loss', at: '12h', duration: '3h' }], 20);
    const normal = rows.filter((r) => r.t < 12 * HOUR && r.states.reeferDefrost === false).map((r) => r.metrics.reeferSupplyTemp!);
    const median = [...normal].sort((a, b) => a - b)[Math.floor(normal.length / 2)]!;
    expect(Math.abs(median + 18.3)).toBeLessThan(0.5);
    expect(rows.some((r) => r.states.reeferDefrost === true)).toBe(true);
    const off = at(rows, 14 * HOUR + 55 * MIN);
    expect(off.states.reeferPower).toBe(false);
    expect(off.metrics.reeferSupplyTemp!).toBeGreaterThan(0);
    expect(at(rows, 19 * HOUR + 55 * MIN).metrics.reeferSupplyTemp!).toBeLessThan(-14);
  });
});

describe('generic ramps', () => {
  it('blend one metric to a target and back on top of any model', () => {
    const rows = series({ id: 'g', kind: 'river_gauge', attributes: { warningLevel: 8 } }, [{ type: 'ramp', at: '1h', metric: 'batteryV', to: 10.5, over: '1h', hold: '2h' }], 6);
    expect(at(rows, 3 * HOUR).metrics.batteryV).toBe(10.5);
    expect(at(rows, 30 * MIN).metrics.batteryV!).toBeGreaterThan(12);
    expect(at(rows, 6 * HOUR).metrics.batteryV!).toBeGreaterThan(12);
  });
});
