import { z } from 'zod';
import type { Quality, Reading } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import { own } from './common';

/**
 * Derived means (packages/rules README "Derived means"): the pure core that turns an air monitor's
 * real-time or minute values into the averages HJ 633 rates, with the data-validity rules of
 * GB 3095-2012 §8 (table 4) and HJ 663-2013:
 * - 1-hour mean of each pollutant: the mean of the hour's valid values, valid with at least
 *   45 minutes of sampling time in the hour (GB 3095-2012 table 4, SO2/NO2/CO/O3 1-h; applied to
 *   PM10/PM2.5 too, which HJ 633-2026 rates hourly [P]). Sampling time = distinct sample slots of
 *   the device's report interval (`reportIntervalSec`, 60..3600 s) times that interval.
 * - O3 8-hour moving mean: the 8 hourly means ending with the hour, valid with at least 6
 *   (table 4, "每8小时至少有6小时平均浓度值").
 * - 24-hour means, natural day (China time) and running (the 24 hours ending with the hour):
 *   valid with at least 20 hourly means (table 4, "每日至少有20个小时平均浓度值").
 * - O3 daily maximum 8-hour mean: the highest of the 8-h means ending 08:00..24:00 of the day
 *   (17 windows), valid with at least 14 valid windows, or with fewer when the maximum exceeds the
 *   8-h limit of 160 ug/m3 (HJ 663-2013 §5.2 [S]); O3 daily maximum 1-hour (HJ 633-2012 daily
 *   report): valid with 20 hourly means [P].
 * Only values flagged N, S or T count (domain README §1.6).
 *
 * Output: derived readings (`origin: 'derived'`) with `period: 'hour'` (ts = start of the hour:
 * `<p>_1h`, `o3_8h`, `<p>_24h`) and `period: 'day'` (ts = 00:00 China time of the day:
 * `<p>_day`, `o3_8h_dmax`, `o3_1h_dmax`). An hour is closed by the first value of a later hour,
 * or by `tick` one hour after its end (HJ 633-2026 publishes the real-time report within 1 h of
 * the full hour); a day by the first value of a later day, or likewise on `tick`.
 * A device that sends hour data itself (HJ 212 CN 2061, `period: 'hour'`) has its 1-h means used
 * as they are; its real-time values are then no longer averaged.
 *
 * State: plain JSON, bounded (24 hours of hourly means); updated in place and returned.
 */

export const MEAN_POLLUTANTS = ['so2', 'no2', 'co', 'o3', 'pm10', 'pm25'] as const;
export type MeanPollutant = (typeof MEAN_POLLUTANTS)[number];
const NP = MEAN_POLLUTANTS.length;
const O3 = MEAN_POLLUTANTS.indexOf('o3');
const UNIT: Readonly<Record<MeanPollutant, string>> = { so2: 'ug/m3', no2: 'ug/m3', co: 'mg/m3', o3: 'ug/m3', pm10: 'ug/m3', pm25: 'ug/m3' };

const HOUR = 3_600_000;
const CHINA = 8; // hours ahead of UTC
const VALID: ReadonlySet<Quality> = new Set(['N', 'S', 'T']);
/** GB 3095-2012 table 4 and HJ 663-2013 (see above). */
export const VALIDITY = { hourMinutes: 45, o3_8hHours: 6, dayHours: 20, o3DmaxWindows: 14, o3_8hLimit: 160, o3_1hDmaxHours: 20 } as const;
/** Tick closes an hour or day this long after its end when no later value closed it. */
export const CLOSE_GRACE_MS = HOUR;
const ROW = 1 + NP; // [hour, so2, no2, co, o3, pm10, pm25], -1 = no valid mean

export interface MeansState {
  v: 1;
  /** Open hour (epoch hour index) accumulating real-time values; -1 none. */
  h: number;
  /** Per pollutant of the open hour: [sum, count, slots bits 0..29, slots bits 30..59]. */
  a: number[];
  /** Hourly means of the last 24 closed hours, flat rows [hour, so2, no2, co, o3, pm10, pm25]. */
  m: number[];
  /** China day (day index) with hours not yet closed into a daily mean; -1 none. */
  d: number;
  /** 1 once the device sent hour data itself. */
  dh: 0 | 1;
  /** Latest input reading (ts, sourceId): older or repeated readings are skipped. */
  t: number;
  s: string;
}

const Num = z.number().finite();
export const MeansStateSchema = z.object({
  v: z.literal(1),
  h: Num,
  a: z.array(Num).length(NP * 4),
  m: z.array(Num).max(ROW * 25),
  d: Num,
  dh: z.union([z.literal(0), z.literal(1)]),
  t: Num,
  s: z.string().max(256),
});

export function newMeansState(): MeansState {
  return { v: 1, h: -1, a: new Array<number>(NP * 4).fill(0), m: [], d: -1, dh: 0, t: -1, s: '' };
}

export interface MeansOutcome {
  /** Derived readings, oldest first (evaluate them before the reading that closed them). */
  readings: Reading[];
  state: MeansState;
  unchanged: boolean;
}

const dayOfHour = (h: number): number => Math.floor((h + CHINA) / 24);
const dayStartHour = (day: number): number => day * 24 - CHINA;
const r3 = (v: number): number => Math.round(v * 1000) / 1000;

/** Whether a device kind's readings are averaged (air monitors: the HJ 633 pollutants). */
export function derivesMeans(kind: string): boolean {
  return kind === 'air_monitor';
}

/**
 * The derivation core. `derive` takes one reading (not a derived one) of `device`; `tick` closes
 * periods on time. Both are pure: time comes from the reading or `now`.
 */
export function deriveMeans(r: Reading, device: Device, state: MeansState | undefined): MeansOutcome {
  const st = state ?? newMeansState();
  const out: Reading[] = [];
  if (r.origin === 'derived' || r.origin === 'status' || !derivesMeans(r.kind) || r.period === 'day') return { readings: out, state: st, unchanged: state !== undefined };
  if (r.ts < st.t || (r.ts === st.t && r.sourceId === st.s)) return { readings: out, state: st, unchanged: state !== undefined };
  st.t = r.ts;
  st.s = r.sourceId;
  const ctx = { device, site: r.site ?? device.site, receivedAt: r.receivedAt, out };
  const hour = Math.floor(r.ts / HOUR);
  closeTo(st, r.ts, ctx);
  if (r.period === 'hour') {
    // the device's own 1-hour means (HJ 212 CN 2061): recorded as they are
    st.dh = 1;
    st.h = -1;
    const row = [hour, ...MEAN_POLLUTANTS.map((p) => {
      const m = own(r.metrics, `${p}_1h`);
      return m !== undefined && VALID.has(m.quality) && m.value >= 0 ? m.value : -1;
    })];
    pushHour(st, row);
    emitHour(st, hour, ctx, false);
    return { readings: out, state: st, unchanged: false };
  }
  if (st.dh === 1) return { readings: out, state: st, unchanged: false };
  if (hour < st.h) return { readings: out, state: st, unchanged: false }; // late for a closed hour
  if (st.h < 0) {
    st.h = hour;
    st.a.fill(0);
    if (st.d < 0) st.d = dayOfHour(hour);
  }
  const slotSec = Math.min(3600, Math.max(60, device.reportIntervalSec));
  const slot = Math.min(59, Math.floor((r.ts - hour * HOUR) / (slotSec * 1000)));
  for (let p = 0; p < NP; p++) {
    const m = own(r.metrics, MEAN_POLLUTANTS[p]!);
    if (m === undefined || !VALID.has(m.quality) || !(m.value >= 0)) continue;
    const a = 4 * p;
    st.a[a]! += m.value;
    st.a[a + 1]!++;
    if (slot < 30) st.a[a + 2] = st.a[a + 2]! | (1 << slot);
    else st.a[a + 3] = st.a[a + 3]! | (1 << (slot - 30));
  }
  return { readings: out, state: st, unchanged: false };
}

/** Closes, at `now`, the hour and the day whose end is more than CLOSE_GRACE_MS past. */
export function tickMeans(device: Device, state: MeansState | undefined, now: number): MeansOutcome {
  if (state === undefined || (state.h < 0 && state.d < 0)) return { readings: [], state: state ?? newMeansState(), unchanged: true };
  const out: Reading[] = [];
  const before = state.h * 1e6 + state.d;
  closeTo(state, now - CLOSE_GRACE_MS, { device, site: device.site, receivedAt: now, out });
  return { readings: out, state, unchanged: before === state.h * 1e6 + state.d };
}

interface Ctx {
  readonly device: Device;
  readonly site: string | undefined;
  readonly receivedAt: number;
  readonly out: Reading[];
}

/** Closes the open hour if it ended by `t`, then the open day if it ended by `t`. */
function closeTo(st: MeansState, t: number, ctx: Ctx): void {
  if (st.h >= 0 && (st.h + 1) * HOUR <= t) {
    const slotSec = Math.min(3600, Math.max(60, ctx.device.reportIntervalSec));
    const need = Math.ceil((VALIDITY.hourMinutes * 60) / slotSec);
    const row = [st.h];
    for (let p = 0; p < NP; p++) {
      const a = 4 * p;
      const slots = bits(st.a[a + 2]!) + bits(st.a[a + 3]!);
      row.push(st.a[a + 1]! > 0 && slots >= need ? st.a[a]! / st.a[a + 1]! : -1);
    }
    const h = st.h;
    st.h = -1;
    st.a.fill(0);
    pushHour(st, row);
    emitHour(st, h, ctx, true);
  }
  if (st.d >= 0 && dayStartHour(st.d + 1) * HOUR <= t) {
    emitDay(st, st.d, ctx);
    st.d = -1;
  }
}

function bits(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) n++;
  return n;
}

/** Adds a closed hour's row and keeps the 24 hours ending with it. */
function pushHour(st: MeansState, row: number[]): void {
  const hour = row[0]!;
  for (let i = 0; i < st.m.length; i += ROW) {
    if (st.m[i] === hour) {
      st.m.splice(i, ROW);
      break;
    }
  }
  st.m.push(...row);
  const rows: number[][] = [];
  for (let i = 0; i < st.m.length; i += ROW) if (st.m[i]! > hour - 24) rows.push(st.m.slice(i, i + ROW));
  rows.sort((x, y) => x[0]! - y[0]!);
  st.m = rows.flat();
  if (st.d < 0) st.d = dayOfHour(hour);
}

/** The hourly mean of pollutant p at `hour`, or -1. */
function hourly(st: MeansState, hour: number, p: number): number {
  for (let i = 0; i < st.m.length; i += ROW) if (st.m[i] === hour) return st.m[i + 1 + p]!;
  return -1;
}

/** Mean of the valid hourly means of p over [from, to], NaN with fewer than `min`. */
function meanOver(st: MeansState, p: number, from: number, to: number, min: number): number {
  let sum = 0;
  let n = 0;
  for (let h = from; h <= to; h++) {
    const v = hourly(st, h, p);
    if (v >= 0) {
      sum += v;
      n++;
    }
  }
  return n >= min ? sum / n : NaN;
}

function reading(ctx: Ctx, ts: number, period: 'hour' | 'day', metrics: Reading['metrics']): Reading {
  const r: Reading = {
    deviceId: ctx.device.id,
    kind: ctx.device.kind,
    ts,
    metrics,
    sourceId: `derived:${ctx.device.id}:${period}:${ts}`,
    receivedAt: ctx.receivedAt,
    origin: 'derived',
    period,
  };
  if (ctx.site !== undefined) r.site = ctx.site;
  return r;
}

const value = (p: number, v: number) => ({ value: r3(v), unit: UNIT[MEAN_POLLUTANTS[p]!], quality: 'N' as const });

/** The hourly set of `hour`: 1-h means (when `withHour`), O3 8-h moving mean, running 24-h means. */
function emitHour(st: MeansState, hour: number, ctx: Ctx, withHour: boolean): void {
  const metrics: Reading['metrics'] = {};
  let n = 0;
  for (let p = 0; p < NP; p++) {
    const name = MEAN_POLLUTANTS[p]!;
    const h1 = hourly(st, hour, p);
    if (withHour && h1 >= 0) {
      metrics[`${name}_1h`] = value(p, h1);
      n++;
    }
    if (p === O3) {
      const o8 = meanOver(st, p, hour - 7, hour, VALIDITY.o3_8hHours);
      if (o8 === o8) {
        metrics.o3_8h = value(p, o8);
        n++;
      }
      continue;
    }
    const d24 = meanOver(st, p, hour - 23, hour, VALIDITY.dayHours);
    if (d24 === d24) {
      metrics[`${name}_24h`] = value(p, d24);
      n++;
    }
  }
  if (n > 0) ctx.out.push(reading(ctx, hour * HOUR, 'hour', metrics));
}

/** The daily set of China day `day`. */
function emitDay(st: MeansState, day: number, ctx: Ctx): void {
  const first = dayStartHour(day);
  const metrics: Reading['metrics'] = {};
  let n = 0;
  for (let p = 0; p < NP; p++) {
    if (p === O3) continue;
    const v = meanOver(st, p, first, first + 23, VALIDITY.dayHours);
    if (v === v) {
      metrics[`${MEAN_POLLUTANTS[p]}_day`] = value(p, v);
      n++;
    }
  }
  // O3: 8-h means ending 08:00..24:00 (windows starting at hours 0..16 of the day)
  let max8 = -1;
  let windows = 0;
  for (let s = 0; s <= 16; s++) {
    const v = meanOver(st, O3, first + s, first + s + 7, VALIDITY.o3_8hHours);
    if (v !== v) continue;
    windows++;
    if (v > max8) max8 = v;
  }
  if (windows > 0 && (windows >= VALIDITY.o3DmaxWindows || max8 > VALIDITY.o3_8hLimit)) {
    metrics.o3_8h_dmax = value(O3, max8);
    n++;
  }
  let max1 = -1;
  let hours = 0;
  for (let h = first; h < first + 24; h++) {
    const v = hourly(st, h, O3);
    if (v < 0) continue;
    hours++;
    if (v > max1) max1 = v;
  }
  if (hours >= VALIDITY.o3_1hDmaxHours) {
    metrics.o3_1h_dmax = value(O3, max1);
    n++;
  }
  if (n > 0) ctx.out.push(reading(ctx, first * HOUR, 'day', metrics));
}
