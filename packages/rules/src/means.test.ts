import { describe, expect, it } from 'vitest';
import type { Quality, Reading } from '@ganzhi/schemas';
import { MeansStateSchema, deriveMeans, tickMeans, type MeansState } from './means';
import { device } from './test-support';

/** 2026-06-01 00:00 China time. */
const DAY0 = Date.UTC(2026, 4, 31, 16);
const MIN = 60_000;
const HOUR = 60 * MIN;

const air = device('a1', 'air_monitor', { reportIntervalSec: 300, site: 'downtown' });

function raw(ts: number, m: Record<string, number | [number, Quality]>, extra: Partial<Reading> = {}): Reading {
  const metrics: Reading['metrics'] = {};
  for (const [k, v] of Object.entries(m)) metrics[k] = Array.isArray(v) ? { value: v[0], unit: 'ug/m3', quality: v[1] } : { value: v, unit: 'ug/m3', quality: 'N' };
  return { deviceId: 'a1', kind: 'air_monitor', site: 'downtown', ts, metrics, sourceId: `r@${ts}`, receivedAt: ts + 1000, ...extra };
}

/** Feeds readings (each state through JSON, as after a restart) and collects the derived ones. */
function feed(readings: Reading[], d = air, state?: MeansState): { out: Reading[]; state: MeansState | undefined } {
  const out: Reading[] = [];
  let st = state;
  for (const r of readings) {
    const o = deriveMeans(r, d, st);
    out.push(...o.readings);
    st = MeansStateSchema.parse(JSON.parse(JSON.stringify(o.state))) as MeansState;
  }
  return { out, state: st };
}

/** Real-time values every `every` minutes over [from, to) hours after DAY0, f(hour offset) per pollutant. */
type M = Record<string, number | [number, Quality]>;
function series(fromH: number, toH: number, every: number, f: (h: number) => M, skip: (minute: number) => boolean = () => false): Reading[] {
  const out: Reading[] = [];
  for (let t = fromH * 60; t < toH * 60; t += every) if (!skip(t % 60)) out.push(raw(DAY0 + t * MIN, f(Math.floor(t / 60))));
  return out;
}

const byPeriod = (rs: Reading[], period: 'hour' | 'day') => rs.filter((r) => r.period === period);

describe('1-hour means (GB 3095-2012 table 4: at least 45 minutes of sampling in the hour)', () => {
  it('averages the real-time values of a closed hour into <p>_1h, labelled with the start of the hour', () => {
    const { out } = feed([...series(0, 1, 5, () => ({ pm25: 40, o3: 100 })), raw(DAY0 + HOUR, { pm25: 10 })]);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ ts: DAY0, period: 'hour', origin: 'derived', site: 'downtown', sourceId: `derived:a1:hour:${DAY0}`, receivedAt: DAY0 + HOUR + 1000 });
    expect(out[0]!.metrics).toEqual({ pm25_1h: { value: 40, unit: 'ug/m3', quality: 'N' }, o3_1h: { value: 100, unit: 'ug/m3', quality: 'N' } });
  });

  it('needs 9 of the 12 five-minute slots (45 min); 8 are not enough', () => {
    const nine = feed([...series(0, 1, 5, () => ({ pm25: 40 }), (m) => m < 15), raw(DAY0 + HOUR, {})]).out;
    expect(nine[0]!.metrics.pm25_1h).toBeDefined();
    const eight = feed([...series(0, 1, 5, () => ({ pm25: 40 }), (m) => m < 20), raw(DAY0 + HOUR, {})]).out;
    expect(eight).toEqual([]);
  });

  it('with minute data needs 45 distinct minutes; repeated samples in one minute count once', () => {
    const minute = device('a1', 'air_monitor', { reportIntervalSec: 60 });
    const ok = feed([...series(0, 1, 1, () => ({ so2: 8 }), (m) => m >= 45), raw(DAY0 + HOUR, {})], minute).out;
    expect(ok[0]!.metrics.so2_1h).toEqual({ value: 8, unit: 'ug/m3', quality: 'N' });
    const twice = [...series(0, 1, 1, () => ({ so2: 8 }), (m) => m >= 44)];
    const dup = twice.map((r) => ({ ...r, ts: r.ts + 30_000, sourceId: `${r.sourceId}b` }));
    const interleaved = twice.flatMap((r, i) => [r, dup[i]!]);
    expect(feed([...interleaved, raw(DAY0 + HOUR, {})], minute).out).toEqual([]);
  });

  it('counts only values flagged N, S or T (domain README §1.6)', () => {
    const { out } = feed([...series(0, 1, 5, (h) => ({ pm25: 40 + h, no2: [200, 'D'] })), raw(DAY0 + HOUR, {})]);
    expect(Object.keys(out[0]!.metrics)).toEqual(['pm25_1h']);
  });

  it('skips late and repeated readings', () => {
    const rs = series(0, 1, 5, () => ({ pm25: 40 }));
    const { out } = feed([...rs, rs[3]!, raw(DAY0 + HOUR + MIN, { pm25: 1 }), raw(DAY0 + 50 * MIN, { pm25: 500 }), raw(DAY0 + 2 * HOUR, {})]);
    expect(out.map((r) => r.metrics.pm25_1h?.value)).toEqual([40]);
  });

  it('closes an hour on tick one hour after its end when no later value came', () => {
    const { state } = feed(series(0, 1, 5, () => ({ pm25: 40 })));
    expect(tickMeans(air, state, DAY0 + 2 * HOUR - 1).readings).toEqual([]);
    const t = tickMeans(air, state, DAY0 + 2 * HOUR);
    expect(t.readings.map((r) => [r.ts, r.metrics.pm25_1h?.value])).toEqual([[DAY0, 40]]);
    expect(t.unchanged).toBe(false);
  });
});

describe('O3 8-hour moving mean (table 4: at least 6 hourly means of the 8)', () => {
  it('is the mean of the 8 hourly means ending with the hour, from the 6th valid one', () => {
    const { out } = feed([...series(0, 8, 5, (h) => ({ o3: 100 + 10 * h })), raw(DAY0 + 8 * HOUR, {})]);
    const o8 = byPeriod(out, 'hour').map((r) => r.metrics.o3_8h?.value);
    expect(o8).toEqual([undefined, undefined, undefined, undefined, undefined, 125, 130, 135]);
  });
});

describe('24-hour means (table 4: at least 20 hourly means), natural day and running', () => {
  const day = (skipHours: number) =>
    feed([...series(0, 24, 5, (h): M => (h < skipHours ? {} : { pm25: h < 12 ? 80 : 40, no2: 85, co: 1.3, o3: h >= 8 && h < 16 ? 170 : 60 })), raw(DAY0 + 24 * HOUR + MIN, {})]).out;

  it('gives the natural-day mean at 00:00 China time with 20 valid hours, and the O3 daily max 8-h', () => {
    const out = byPeriod(day(4), 'day');
    expect(out).toHaveLength(1);
    expect(out[0]!.ts).toBe(DAY0);
    expect(out[0]!.metrics).toMatchObject({ pm25_day: { value: 56 }, no2_day: { value: 85 }, co_day: { value: 1.3, unit: 'mg/m3' }, o3_8h_dmax: { value: 170 }, o3_1h_dmax: { value: 170 } });
  });

  it('gives no daily mean with 19 valid hours', () => {
    expect(byPeriod(day(5), 'day')[0]?.metrics.pm25_day).toBeUndefined();
  });

  it('gives the running 24-h mean from the 20th hour on', () => {
    const hours = byPeriod(day(0), 'hour');
    expect(hours[18]!.metrics.pm25_24h).toBeUndefined();
    expect(hours[19]!.metrics.pm25_24h).toEqual({ value: 64, unit: 'ug/m3', quality: 'N' }); // (12 x 80 + 8 x 40) / 20 hours
    expect(hours[23]!.metrics.pm25_24h!.value).toBe(60);
  });

  it('needs 14 valid 8-h windows for the O3 daily max, unless it exceeds 160 (HJ 663-2013)', () => {
    const clean = feed([...series(0, 24, 5, (h): M => (h < 14 ? {} : { o3: 100 })), raw(DAY0 + 24 * HOUR + MIN, {})]).out;
    expect(byPeriod(clean, 'day')[0]?.metrics.o3_8h_dmax).toBeUndefined();
    const high = feed([...series(0, 24, 5, (h): M => (h < 14 ? {} : { o3: 200 })), raw(DAY0 + 24 * HOUR + MIN, {})]).out;
    expect(byPeriod(high, 'day')[0]!.metrics.o3_8h_dmax!.value).toBe(200);
  });
});

describe('hour data sent by the device (HJ 212 CN 2061)', () => {
  it('uses the 1-h means as they are, no longer averages real-time values, and derives the 8-h and 24-h means', () => {
    const hourly = Array.from({ length: 8 }, (_, h) => raw(DAY0 + h * HOUR, { o3_1h: 100 + 10 * h }, { period: 'hour', sourceId: `hj212-2061-${h}` }));
    const { out } = feed([...hourly, raw(DAY0 + 8 * HOUR + 5 * MIN, { o3: 999 }), raw(DAY0 + 9 * HOUR + 5 * MIN, { o3: 999 })]);
    expect(out.every((r) => r.metrics.o3_1h === undefined)).toBe(true);
    expect(out.map((r) => r.metrics.o3_8h?.value)).toEqual([125, 130, 135]);
  });
});

describe('state', () => {
  it('is bounded to 24 hours of hourly means whatever the run length', () => {
    const { state } = feed(series(0, 72, 30, () => ({ pm25: 30 })));
    expect(state!.m.length).toBeLessThanOrEqual(24 * 7);
  });
});
