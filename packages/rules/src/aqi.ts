/**
 * Air Quality Index after HJ 633-2012 and HJ 633-2026 (domain README §3), as pure functions.
 *
 * IAQI_P = (IAQI_Hi - IAQI_Lo) / (BP_Hi - BP_Lo) x (C_P - BP_Lo) + IAQI_Lo, every IAQI rounded UP
 * ("全部进位取整", 2012 §6.2, 2026 §4.2.6). The arithmetic is exact: concentrations are scaled to
 * integers (thousandths) so that float noise never turns 100 into 101.
 */

/** Indicator = pollutant + averaging period, as the table columns. µg/m³, CO in mg/m³. */
export const AQI_INDICATORS = [
  'so2_24h',
  'so2_1h',
  'no2_24h',
  'no2_1h',
  'pm10_24h',
  'pm10_1h',
  'co_24h',
  'co_1h',
  'o3_1h',
  'o3_8h',
  'pm25_24h',
  'pm25_1h',
] as const;
export type AqiIndicator = (typeof AQI_INDICATORS)[number];
export type AqiVersion = 'HJ633-2012' | 'HJ633-2026';
/** hourly = the real-time report; daily = the daily report. They differ in the indicator set. */
export type AqiReport = 'hourly' | 'daily';

/** Indicator index constants (positions in AQI_INDICATORS) for the allocation-free core. */
export const IX = Object.fromEntries(AQI_INDICATORS.map((k, i) => [k, i])) as Record<AqiIndicator, number>;
export const N_INDICATORS = AQI_INDICATORS.length;

const IAQI = [0, 50, 100, 150, 200, 300, 400, 500];

/** Breakpoints per indicator; shorter rows end where the standard stops computing (footnotes). */
const T2012: Readonly<Partial<Record<AqiIndicator, readonly number[]>>> = {
  so2_24h: [0, 50, 150, 475, 800, 1600, 2100, 2620],
  so2_1h: [0, 150, 500, 650, 800],
  no2_24h: [0, 40, 80, 180, 280, 565, 750, 940],
  no2_1h: [0, 100, 200, 700, 1200, 2340, 3090, 3840],
  pm10_24h: [0, 50, 150, 250, 350, 420, 500, 600],
  co_24h: [0, 2, 4, 14, 24, 36, 48, 60],
  co_1h: [0, 5, 10, 35, 60, 90, 120, 150],
  o3_1h: [0, 160, 200, 300, 400, 800, 1000, 1200],
  o3_8h: [0, 100, 160, 215, 265, 800],
  pm25_24h: [0, 35, 75, 115, 150, 250, 350, 500],
};

/** 2026: PM rows tightened at IAQI 100; PM 1-h values are rated with the daily rows (§3.3). */
const PM10_2026 = [0, 50, 120, 250, 350, 420, 500, 600];
const PM25_2026 = [0, 35, 60, 115, 150, 250, 350, 500];
const T2026: Readonly<Partial<Record<AqiIndicator, readonly number[]>>> = {
  ...T2012,
  pm10_24h: PM10_2026,
  pm10_1h: PM10_2026,
  pm25_24h: PM25_2026,
  pm25_1h: PM25_2026,
};

const SCALE = 1000;
const toRows = (t: Readonly<Partial<Record<AqiIndicator, readonly number[]>>>): (Int32Array | undefined)[] =>
  AQI_INDICATORS.map((k) => (t[k] ? Int32Array.from(t[k], (b) => Math.round(b * SCALE)) : undefined));
const ROWS: Record<AqiVersion, (Int32Array | undefined)[]> = { 'HJ633-2012': toRows(T2012), 'HJ633-2026': toRows(T2026) };

/** Indicators each report rates (2012 real-time: 1-h SO2/NO2/CO/O3, O3 8-h and PM 24-h moving means). */
const REPORT_SET: Record<AqiVersion, Record<AqiReport, readonly AqiIndicator[]>> = {
  'HJ633-2012': {
    hourly: ['so2_1h', 'no2_1h', 'co_1h', 'o3_1h', 'o3_8h', 'pm10_24h', 'pm25_24h'],
    daily: ['so2_24h', 'no2_24h', 'co_24h', 'pm10_24h', 'pm25_24h', 'o3_1h', 'o3_8h'],
  },
  'HJ633-2026': {
    hourly: ['so2_1h', 'no2_1h', 'co_1h', 'o3_1h', 'pm10_1h', 'pm25_1h'],
    daily: ['so2_24h', 'no2_24h', 'co_24h', 'pm10_24h', 'pm25_24h', 'o3_8h'],
  },
};
const REPORT_MASK: Record<AqiVersion, Record<AqiReport, Uint8Array>> = {
  'HJ633-2012': { hourly: mask(REPORT_SET['HJ633-2012'].hourly), daily: mask(REPORT_SET['HJ633-2012'].daily) },
  'HJ633-2026': { hourly: mask(REPORT_SET['HJ633-2026'].hourly), daily: mask(REPORT_SET['HJ633-2026'].daily) },
};
function mask(set: readonly AqiIndicator[]): Uint8Array {
  const m = new Uint8Array(N_INDICATORS);
  for (const k of set) m[IX[k]] = 1;
  return m;
}

/** 1 for each indicator (AQI_INDICATORS order) that the report of that version rates. */
export function reportMask(version: AqiVersion, report: AqiReport): Uint8Array {
  return REPORT_MASK[version][report];
}

/** Whether every indicator the report rates is given in `conc` (NaN = missing). */
export function aqiComplete(conc: ArrayLike<number>, version: AqiVersion, report: AqiReport): boolean {
  const need = REPORT_MASK[version][report];
  for (let i = 0; i < N_INDICATORS; i++) if (need[i] === 1 && !(conc[i]! >= 0)) return false;
  return true;
}

/** HJ 633-2026 is in force from 2026-03-01 00:00 China time (UTC+8). */
export const HJ633_2026_FROM = Date.UTC(2026, 1, 28, 16, 0, 0);

export function aqiVersionAt(ts: number): AqiVersion {
  return ts >= HJ633_2026_FROM ? 'HJ633-2026' : 'HJ633-2012';
}

/** `x` in thousandths, exactly as written in decimal (up to 3 places). */
const milli = (x: number): number => Math.round(x * SCALE);

/** GB/T 8170 rounding (half to even on the exact decimal) of a value in thousandths to `step` thousandths. */
function roundHalfEven(m: number, step: number): number {
  const q = Math.floor(m / step);
  const r = m - q * step;
  const twice = 2 * r;
  if (twice < step) return q * step;
  if (twice > step) return (q + 1) * step;
  return (q % 2 === 0 ? q : q + 1) * step;
}

/** Ceil of the piecewise-linear IAQI for `c` (thousandths) on `row`, or -1 above the row. */
function iaqiOf(c: number, row: Int32Array): number {
  if (c <= 0) return 0;
  for (let i = 1; i < row.length; i++) {
    const hi = row[i]!;
    if (c <= hi) {
      const lo = row[i - 1]!;
      const num = (IAQI[i]! - IAQI[i - 1]!) * (c - lo);
      const den = hi - lo;
      const q = Math.floor(num / den);
      return IAQI[i - 1]! + (q * den === num ? q : q + 1);
    }
  }
  return -1;
}

/**
 * The allocation-free core. `conc[IX[k]]` holds indicator k's concentration (NaN = missing);
 * `iaqiOut[IX[k]]` receives its IAQI (NaN = not rated). Returns the AQI, or NaN when there is
 * nothing to rate or (2026 §5.3.1) data are missing and the partial AQI is not above 100 — unless
 * `partial`, which returns the AQI of the indicators given (what the alert rules grade).
 */
export function aqiCore(conc: ArrayLike<number>, version: AqiVersion, report: AqiReport, iaqiOut: Float64Array, partial = false): number {
  const rows = ROWS[version];
  const is2026 = version === 'HJ633-2026';
  const need = REPORT_MASK[version][report];
  let aqi = -1;
  let missing = false;
  for (let i = 0; i < N_INDICATORS; i++) {
    iaqiOut[i] = NaN;
    const raw = conc[i]!;
    const row = rows[i];
    if (raw !== raw || raw < 0 || row === undefined) {
      if (need[i] === 1 && (raw !== raw || raw < 0)) missing = true;
      continue;
    }
    // 2026 §4.2: concentrations are rounded first, µg/m³ to integers and CO to 0.1 mg/m³.
    const c = is2026 ? roundHalfEven(milli(raw), i === IX.co_1h || i === IX.co_24h ? 100 : SCALE) : milli(raw);
    let v = iaqiOf(c, row);
    if (v < 0) {
      if (i === IX.so2_1h) v = is2026 ? 200 : -1; // 2012: not computed, the 24-h IAQI stands in
      else if (i === IX.o3_8h) v = is2026 ? 300 : -1; // 2012: not computed, the 1-h IAQI stands in
      else v = 500; // beyond the IAQI 500 breakpoint: capped [P]
    }
    if (v < 0) continue;
    iaqiOut[i] = v;
    if (v > aqi) aqi = v;
  }
  // 2012 footnotes (SO2 1-h > 800, O3 8-h > 800): those IAQIs are left out and the SO2 24-h /
  // O3 1-h IAQI, when given, stands in through the max above.
  if (aqi < 0) return NaN;
  if (is2026 && missing && aqi <= 100 && !partial) return NaN;
  return aqi;
}

export interface AqiBand {
  /** 1..6: 一级 (优) .. 六级 (严重污染). Not a warning grade: AQI 一级 is the best air. */
  category: 1 | 2 | 3 | 4 | 5 | 6;
  name: '优' | '良' | '轻度污染' | '中度污染' | '重度污染' | '严重污染';
  nameEn: 'excellent' | 'good' | 'lightly polluted' | 'moderately polluted' | 'heavily polluted' | 'severely polluted';
  colour: 'green' | 'yellow' | 'orange' | 'red' | 'purple' | 'maroon';
}

const BANDS: readonly AqiBand[] = [
  { category: 1, name: '优', nameEn: 'excellent', colour: 'green' },
  { category: 2, name: '良', nameEn: 'good', colour: 'yellow' },
  { category: 3, name: '轻度污染', nameEn: 'lightly polluted', colour: 'orange' },
  { category: 4, name: '中度污染', nameEn: 'moderately polluted', colour: 'red' },
  { category: 5, name: '重度污染', nameEn: 'heavily polluted', colour: 'purple' },
  { category: 6, name: '严重污染', nameEn: 'severely polluted', colour: 'maroon' },
];

/** Band of an AQI value (§3.4, the same in both versions). */
export function aqiBand(aqi: number): AqiBand {
  const i = aqi <= 50 ? 0 : aqi <= 100 ? 1 : aqi <= 150 ? 2 : aqi <= 200 ? 3 : aqi <= 300 ? 4 : 5;
  return BANDS[i]!;
}

export interface AqiResult {
  version: AqiVersion;
  /** IAQI per rated indicator (indicators the version does not rate are left out). */
  iaqi: Partial<Record<AqiIndicator, number>>;
  /** null = NA: nothing to rate, or (2026) data missing and the partial AQI is not above 100. */
  aqi: number | null;
  band: AqiBand | null;
  /** Indicators with the maximum IAQI (ties all listed), only when AQI > 50. */
  primary: AqiIndicator[];
  /** Indicators with IAQI > 100. */
  exceeding: AqiIndicator[];
  /** Every indicator of the report was given. */
  complete: boolean;
}

/**
 * AQI of `concentrations` observed at `at` (the table is chosen by the observation date, China
 * time, unless `opts.version` pins it). Pass the indicators of the report you compute: for the
 * 2026 real-time report the six 1-h values; for 2012 real-time the 1-h SO2/NO2/CO/O3 plus the O3
 * 8-h and PM 24-h moving means.
 */
export function computeAqi(
  concentrations: Partial<Record<AqiIndicator, number>>,
  at: number | Date,
  opts: { report?: AqiReport; version?: AqiVersion } = {},
): AqiResult {
  const ts = typeof at === 'number' ? at : at.getTime();
  const version = opts.version ?? aqiVersionAt(ts);
  const report = opts.report ?? 'hourly';
  const conc = new Float64Array(N_INDICATORS).fill(NaN);
  for (const k of AQI_INDICATORS) {
    const v = concentrations[k];
    if (typeof v === 'number' && Number.isFinite(v)) conc[IX[k]] = v;
  }
  const out = new Float64Array(N_INDICATORS);
  const a = aqiCore(conc, version, report, out);
  return describeAqi(a, out, version, REPORT_SET[version][report].every((k) => !Number.isNaN(conc[IX[k]]!)));
}

/** Builds the result object from the core's output (also used when a rule emits a signal). */
export function describeAqi(a: number, iaqiOut: Float64Array, version: AqiVersion, complete: boolean): AqiResult {
  const iaqi: Partial<Record<AqiIndicator, number>> = {};
  let max = -1;
  for (let i = 0; i < N_INDICATORS; i++) {
    const v = iaqiOut[i]!;
    if (v === v) {
      iaqi[AQI_INDICATORS[i]!] = v;
      if (v > max) max = v;
    }
  }
  const aqi = a === a ? a : null;
  const keys = Object.keys(iaqi) as AqiIndicator[];
  return {
    version,
    iaqi,
    aqi,
    band: aqi === null ? null : aqiBand(aqi),
    primary: aqi !== null && aqi > 50 ? keys.filter((k) => iaqi[k] === max) : [],
    exceeding: keys.filter((k) => iaqi[k]! > 100),
    complete,
  };
}
