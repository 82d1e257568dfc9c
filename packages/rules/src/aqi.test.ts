import { describe, expect, it } from 'vitest';
import { HJ633_2026_FROM, aqiVersionAt, computeAqi } from './aqi';
import type { AqiIndicator } from './aqi';
import { T0, device, engineOf, run } from './test-support';

const D2012 = Date.UTC(2025, 5, 1);
const D2026 = Date.UTC(2026, 5, 1);
const iaqi = (k: AqiIndicator, c: number, at: number) => computeAqi({ [k]: c }, at, { report: 'daily' }).iaqi[k];

describe('computeAqi against the hand-computed examples (domain README §3.5)', () => {
  const table: { c: [AqiIndicator, number]; y2012: number; y2026: number }[] = [
    { c: ['pm25_24h', 80], y2012: 107, y2026: 119 },
    { c: ['pm25_24h', 60], y2012: 82, y2026: 100 },
    { c: ['pm25_24h', 75], y2012: 100, y2026: 114 },
    { c: ['pm10_24h', 150], y2012: 100, y2026: 112 },
    { c: ['o3_8h', 170], y2012: 110, y2026: 110 },
    { c: ['no2_24h', 85], y2012: 103, y2026: 103 },
    { c: ['co_24h', 1.3], y2012: 33, y2026: 33 },
  ];
  for (const { c, y2012, y2026 } of table) {
    it(`${c[0]} ${c[1]} gives IAQI ${y2012} under HJ 633-2012 and ${y2026} under HJ 633-2026`, () => {
      expect(iaqi(c[0], c[1], D2012)).toBe(y2012);
      expect(iaqi(c[0], c[1], D2026)).toBe(y2026);
    });
  }

  it('rates the 2026 PM 1-h values with the daily breakpoints', () => {
    expect(computeAqi({ pm25_1h: 80 }, D2026).iaqi.pm25_1h).toBe(119);
    expect(computeAqi({ pm10_1h: 150 }, D2026).iaqi.pm10_1h).toBe(112);
  });

  it('does not rate PM 1-h values under 2012 (its real-time report uses the 24-h moving means)', () => {
    expect(computeAqi({ pm25_1h: 80 }, D2012).iaqi.pm25_1h).toBeUndefined();
  });

  it('a concentration exactly on a breakpoint gives exactly its IAQI, not one more from float noise', () => {
    expect(iaqi('pm25_24h', 75, D2012)).toBe(100);
    expect(iaqi('co_24h', 0.1 + 0.2 + 3.7, D2012)).toBe(100); // 4.000000000000001 in floats
    expect(iaqi('no2_1h', 200.0000000001, D2012)).toBe(100);
    expect(iaqi('o3_1h', 160, D2026)).toBe(50);
  });

  it('2026 rounds concentrations first (GB/T 8170, half to even): µg to integers, CO to 0.1 mg', () => {
    expect(iaqi('pm25_24h', 60.5, D2026)).toBe(100); // 60.5 -> 60 (unrounded it would be 101)
    expect(iaqi('pm25_24h', 62.5, D2026)).toBe(102); // 62.5 -> 62 (half up, 63, would give 103)
    expect(iaqi('co_24h', 2.05, D2026)).toBe(50); // 2.05 -> 2.0 (unrounded 52)
    expect(iaqi('co_24h', 2.15, D2026)).toBe(55); // 2.15 -> 2.2
    expect(iaqi('pm25_24h', 60.5, D2012)).toBe(82); // 2012 does not round first: 50 + 50 * 25.5 / 40 = 81.9
  });

  it('chooses the table by observation date in China time (2026-03-01 00:00 +08:00)', () => {
    expect(HJ633_2026_FROM).toBe(Date.parse('2026-03-01T00:00:00+08:00'));
    expect(aqiVersionAt(HJ633_2026_FROM - 1)).toBe('HJ633-2012');
    expect(aqiVersionAt(HJ633_2026_FROM)).toBe('HJ633-2026');
    expect(computeAqi({ pm25_24h: 80 }, new Date('2026-02-28T23:59:59+08:00'), { report: 'daily' }).version).toBe('HJ633-2012');
    expect(computeAqi({ pm25_24h: 80 }, new Date('2026-02-28T16:00:00Z'), { report: 'daily' }).version).toBe('HJ633-2026');
  });

  it('AQI is the maximum IAQI; the primary pollutants are those with it (ties all listed) when AQI > 50', () => {
    const r = computeAqi({ so2_1h: 10, no2_1h: 20, co_1h: 0.4, o3_1h: 60, pm10_1h: 120, pm25_1h: 60 }, D2026);
    expect(r.aqi).toBe(100);
    expect(r.primary).toEqual(['pm10_1h', 'pm25_1h']);
    expect(r.band).toMatchObject({ category: 2, name: '良', colour: 'yellow' });
    expect(r.complete).toBe(true);
    const clean = computeAqi({ so2_1h: 5, no2_1h: 5, co_1h: 0.2, o3_1h: 20, pm10_1h: 10, pm25_1h: 5 }, D2026);
    expect(clean.primary).toEqual([]);
    expect(clean.band?.category).toBe(1);
  });

  it('2026 missing data: an incomplete AQI above 100 is published, one not above 100 is NA', () => {
    const high = computeAqi({ pm25_1h: 80, no2_1h: 40 }, D2026);
    expect(high.aqi).toBe(119);
    expect(high.complete).toBe(false);
    const low = computeAqi({ pm25_1h: 60, no2_1h: 40 }, D2026);
    expect(low.aqi).toBeNull();
    expect(low.iaqi).toEqual({ pm25_1h: 100, no2_1h: 20 });
  });

  it('footnotes: SO2 1-h above 800 is 200 in 2026, and in 2012 gives way to the SO2 24-h IAQI', () => {
    expect(computeAqi({ so2_1h: 900 }, D2026).iaqi.so2_1h).toBe(200);
    const r2012 = computeAqi({ so2_1h: 900, so2_24h: 500 }, D2012);
    expect(r2012.iaqi.so2_1h).toBeUndefined();
    expect(r2012.aqi).toBe(154); // 150 + 50 * 25 / 325 = 153.8
  });

  it('footnotes: O3 8-h above 800 is 300 in 2026, and in 2012 gives way to the O3 1-h IAQI', () => {
    expect(computeAqi({ o3_8h: 900 }, D2026, { report: 'daily' }).iaqi.o3_8h).toBe(300);
    const r2012 = computeAqi({ o3_8h: 900, o3_1h: 900 }, D2012, { report: 'daily' });
    expect(r2012.iaqi.o3_8h).toBeUndefined();
    expect(r2012.aqi).toBe(350); // O3 1-h 900: 300 + 100 * (900 - 800) / 200
  });

  it('bands match §3.4', () => {
    const band = (pm25: number) => computeAqi({ pm25_24h: pm25 }, D2012, { report: 'daily' }).band?.nameEn;
    expect([band(35), band(75), band(115), band(150), band(250), band(400)]).toEqual(['excellent', 'good', 'lightly polluted', 'moderately polluted', 'heavily polluted', 'severely polluted']);
  });
});

describe('aqi rule', () => {
  const air = device('a1', 'air_monitor');
  const rule = { id: 'aqi', title: 'AQI', source: 'HJ 633', kind: 'air_monitor', type: 'aqi', thresholds: { yellow: 101, orange: 151, red: 201 }, clearBand: 5 };
  const daily = { ...rule, id: 'aqi-daily', report: 'daily' };
  const six = (pm25: number) => ({ so2_1h: 10, no2_1h: 20, co_1h: 0.5, o3_1h: 50, pm10_1h: 40, pm25_1h: pm25 });
  const hour = (t: number, m: Record<string, number | [number, 'D']>) => ({ t, m, p: 'hour' as const });

  it('grades the 2026 real-time AQI of each hourly set, at the end of its hour, and names the primary pollutant', () => {
    const { lines, signals } = run(engineOf([rule]), [air], [hour(0, six(50)), hour(3600, six(80)), hour(7200, six(120)), hour(10800, six(50))]);
    expect(lines).toEqual(['7200s a1 raise:yellow', '10800s a1 raise:orange', '14400s a1 clear']);
    expect(signals[0]).toMatchObject({ metric: 'aqi', value: 119, threshold: 101 });
    expect(signals[0]!.message).toContain('primary pm25_1h');
  });

  it('does not rate real-time or minute values (they are averaged first)', () => {
    const { lines } = run(engineOf([rule]), [air], [
      { t: 0, m: { pm25: 300 } },
      { t: 60, m: { pm25: 300 }, p: 'minute' },
      { t: 120, m: { pm25_1h: 300 } },
    ]);
    expect(lines).toEqual([]);
  });

  it('clears on an incomplete set that shows clean air, and raises on one above the threshold (2026 §5.3.1)', () => {
    const { lines, signals } = run(engineOf([rule]), [air], [
      hour(0, six(80)),
      hour(3600, { pm25_1h: 50 }), // only PM2.5, IAQI 72: published as NA, but the air measured is clean
      hour(7200, { pm25_1h: 80 }), // only PM2.5, IAQI 119: published (above 100)
      hour(10800, { ...six(50), pm25_1h: [50, 'D'] }), // PM2.5 invalid: the other five show AQI 40
    ]);
    expect(lines).toEqual(['3600s a1 raise:yellow', '7200s a1 clear', '10800s a1 raise:yellow', '14400s a1 clear']);
    expect(signals[1]!.message).toContain('incomplete');
  });

  it('under 2012 rates the real-time report with the PM 24-h and O3 8-h moving means of the hourly set', () => {
    const t0 = Date.UTC(2025, 0, 1);
    const { lines, signals } = run(engineOf([rule]), [air], [{ t: 0, m: { ...six(80), pm25_24h: 80, o3_8h: 100 }, p: 'hour' }], { t0 });
    expect(lines).toEqual(['3600s a1 raise:yellow']);
    expect(signals[0]!.value).toBe(107); // PM2.5 24-h 80 on the 2012 table; pm25_1h is not a 2012 indicator
    expect(signals[0]!.message).toContain('HJ633-2012');
    expect(T0).toBeGreaterThan(HJ633_2026_FROM);
  });

  it('rates a daily set with the 24-h table (NO2 day mean 85 -> IAQI 103), at the end of the day, and the hourly rule leaves it alone', () => {
    const { lines, signals } = run(engineOf([rule, daily]), [air], [{ t: 0, m: { no2_day: 85, so2_day: 10, co_day: 0.5, pm10_day: 40, pm25_day: 30, o3_8h_dmax: 90 }, p: 'day' }]);
    expect(lines).toEqual(['86400s a1 raise:yellow']);
    expect(signals[0]).toMatchObject({ ruleId: 'aqi-daily', value: 103 });
    // the same NO2 as a 1-h value is rated with the 1-h table: IAQI 43
    expect(computeAqi({ no2_1h: 85 }, T0).iaqi.no2_1h).toBe(43);
  });

  it('rates the hour data a device sends itself (HJ 212 CN 2061) like the derived ones', () => {
    const { lines } = run(engineOf([rule]), [air], [{ t: 0, m: { pm25_1h: 130, pm10_1h: 100, so2_1h: 5, no2_1h: 20, co_1h: 0.4, o3_1h: 60 }, p: 'hour', src: 'hj212-2061' }]);
    expect(lines).toEqual(['3600s a1 raise:orange']);
  });
});
