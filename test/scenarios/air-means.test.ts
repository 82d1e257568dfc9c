import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { computeAqi, type AqiIndicator } from '@ganzhi/rules';
import { loadScenarioFile, formatComparison } from '@ganzhi/simulators';
import type { BucketRow, ReadingRow } from '@ganzhi/store';
import { replayScenario } from '../helpers/scenario';

const HOUR = 3_600_000;
const file = fileURLToPath(new URL('../../simulators/scenarios/air-morning-haze.json', import.meta.url));
const scenario = await loadScenarioFile(file);
const T0 = scenario.start; // 2026-11-12 00:00 China time
const POLLUTANTS = ['so2', 'no2', 'co', 'o3', 'pm10', 'pm25'] as const;

interface Stored {
  hourly: Record<string, BucketRow[]>;
  raw: Record<string, BucketRow[]>;
  latest: ReadingRow[];
  gauge: ReadingRow[];
}

const run = await replayScenario(scenario, {
  inspect: async (p) => {
    const q = (metric: string, bucketMs = HOUR) => p.store.range({ deviceId: 'air-004', metric, from: T0, to: T0 + 25 * HOUR, bucketMs });
    const hourly: Record<string, BucketRow[]> = {};
    const raw: Record<string, BucketRow[]> = {};
    for (const m of POLLUTANTS) {
      hourly[`${m}_1h`] = await q(`${m}_1h`);
      raw[m] = await q(m);
    }
    for (const m of ['o3_8h', 'pm25_24h', 'pm25_day', 'o3_8h_dmax']) hourly[m] = await q(m);
    return { hourly, raw, latest: await p.store.latest({ deviceId: 'air-004' }), gauge: await p.store.latest({ deviceId: 'gauge-004' }) } satisfies Stored;
  },
});
const stored = run.inspected as Stored;
const air = run.recorded.filter((c) => c.deviceId === 'air-004');

/** The real-time AQI (HJ 633-2026: six 1-h values) of the hour starting at `ts`, from the stored 1-h means. */
function hourlyAqi(ts: number): number | null {
  const conc: Partial<Record<AqiIndicator, number>> = {};
  for (const m of POLLUTANTS) {
    const row = stored.hourly[`${m}_1h`]!.find((r) => r.ts === ts);
    if (row) conc[`${m}_1h`] = row.last;
  }
  return computeAqi(conc, ts, { report: 'hourly' }).aqi;
}

describe('air-morning-haze: real-time values only, means derived by the platform', () => {
  it('replays with every report acknowledged, nothing dead-lettered, and the expected alerts', () => {
    expect(run.fleet.failed).toBe(0);
    expect(run.deadLetters).toEqual([]);
    expect(run.comparison.ok, `\n${formatComparison(run.comparison, run.plan.start)}\n`).toBe(true);
  });

  it('stores a 1-hour mean for every hour of the day, equal to the mean of the stored real-time values of that hour', () => {
    for (const m of POLLUTANTS) {
      const means = stored.hourly[`${m}_1h`]!;
      expect(means.map((r) => r.ts), m).toEqual(Array.from({ length: 24 }, (_, h) => T0 + h * HOUR));
      for (const row of means) {
        const rawHour = stored.raw[m]!.find((r) => r.ts === row.ts)!;
        expect(rawHour.count, `${m} samples at ${new Date(row.ts).toISOString()}`).toBe(12);
        expect(row.last, `${m}_1h at ${new Date(row.ts).toISOString()}`).toBeCloseTo(rawHour.avg, 2);
      }
    }
  });

  it('stores the model\'s mg/m3 values converted to ug/m3 (CO stays mg/m3)', () => {
    const unit = (metric: string) => stored.latest.find((r) => r.metric === metric)!;
    expect(unit('pm25')).toMatchObject({ unit: 'ug/m3' });
    expect(unit('co')).toMatchObject({ unit: 'mg/m3' });
    const clean = stored.hourly.pm25_1h!.find((r) => r.ts === T0 + 14 * HOUR)!.last;
    expect(clean).toBeGreaterThan(5); // 1000x too low or too high would be far outside
    expect(clean).toBeLessThan(60);
  });

  it('stores the O3 8-hour moving mean from the 6th hour and the running 24-h mean from the 20th', () => {
    expect(stored.hourly.o3_8h!.map((r) => r.ts)[0]).toBe(T0 + 5 * HOUR);
    expect(stored.hourly.pm25_24h!.map((r) => r.ts)[0]).toBe(T0 + 19 * HOUR);
    const o3 = stored.hourly.o3_1h!;
    const at = (h: number) => o3.find((r) => r.ts === T0 + h * HOUR)!.last;
    const eight = [5, 6, 7, 8, 9, 10, 11, 12].map(at);
    expect(stored.hourly.o3_8h!.find((r) => r.ts === T0 + 12 * HOUR)!.last).toBeCloseTo(eight.reduce((a, b) => a + b) / 8, 2);
  });

  it('stores the natural-day means at 00:00 China time: the mean of the 24 hourly means', () => {
    const day = stored.hourly.pm25_day!;
    expect(day.map((r) => r.ts)).toEqual([T0]);
    const hourly = stored.hourly.pm25_1h!.map((r) => r.last);
    expect(day[0]!.last).toBeCloseTo(hourly.reduce((a, b) => a + b) / 24, 2);
    expect(stored.hourly.pm25_24h!.find((r) => r.ts === T0 + 23 * HOUR)!.last).toBeCloseTo(day[0]!.last, 3);
    expect(stored.hourly.o3_8h_dmax!.map((r) => r.ts)).toEqual([T0]);
  });

  it('raises the real-time AQI alert at the end of the first hour whose AQI exceeds 100, and clears it at the end of the first clean hour', () => {
    const hours = Array.from({ length: 24 }, (_, h) => T0 + h * HOUR);
    const aqi = hours.map(hourlyAqi);
    const first = aqi.findIndex((a) => a !== null && a >= 101);
    const clean = aqi.findIndex((a, i) => i > first && a !== null && a < 96); // clear band 5 below 101
    expect(first).toBeGreaterThan(0);
    expect(clean).toBeGreaterThan(first);
    const changes = air.filter((c) => c.ruleId === 'air-aqi');
    const raised = changes.find((c) => c.event.type === 'raised')!;
    expect(new Date(raised.event.at).toISOString()).toBe(new Date(hours[first]! + HOUR).toISOString());
    const cleared = changes.find((c) => c.event.type === 'cleared')!;
    expect(new Date(cleared.event.at).toISOString()).toBe(new Date(hours[clean]! + HOUR).toISOString());
    // after the clear the afternoon stays clean: nothing raised again
    expect(changes.filter((c) => c.event.at > cleared.event.at && ['raised', 'reactivated', 'upgraded'].includes(c.event.type))).toEqual([]);
  });

  it('rates the daily report with the 24-h table at the end of the day', () => {
    const day = (m: string) => stored.latest.find((r) => r.metric === m)!.value;
    const res = computeAqi({ so2_24h: day('so2_day'), no2_24h: day('no2_day'), co_24h: day('co_day'), pm10_24h: day('pm10_day'), pm25_24h: day('pm25_day'), o3_8h: day('o3_8h_dmax') }, T0, { report: 'daily' });
    expect(res.aqi).toBeGreaterThanOrEqual(101);
    expect(res.aqi).toBeLessThan(151);
    const daily = air.find((c) => c.ruleId === 'air-aqi-daily' && c.event.type === 'raised')!;
    expect(daily).toMatchObject({ level: 'yellow' });
    expect(daily.event.at).toBe(T0 + 24 * HOUR);
  });

  it('stores the readings of the SL 651 ASCII-mode station', () => {
    expect(stored.gauge.map((r) => r.metric)).toEqual(expect.arrayContaining(['batteryV', 'waterLevel']));
  });
});
