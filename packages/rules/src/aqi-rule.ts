import type { Quality, Reading } from '@ganzhi/schemas';
import { IX, N_INDICATORS, aqiBand, aqiComplete, aqiCore, aqiVersionAt, describeAqi, reportMask } from './aqi';
import type { AqiIndicator, AqiVersion } from './aqi';
import { compileFilter, fmt, own } from './common';
import type { DeviceRule } from './common';
import { gradeSpec } from './grade';
import { gradeAndEmit, gradeSlot } from './graded';
import { AQI_POLLUTANTS } from './schema';
import type { AqiRule } from './schema';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Indicator <- metric-name suffix, per report (HJ 633-2012 §5 / HJ 633-2026 §4-5; domain README
 * §3.2-3.3). The names are those of the derived means (packages/rules src/means.ts) and of HJ 212
 * hour/day data (`_1h`, `_day`). computeAqi's REPORT_SET picks what each version rates.
 */
const SOURCES: Record<'hourly' | 'daily', readonly (readonly [AqiIndicator, number, string])[]> = {
  // real-time report: 1-h values; 2012 also the O3 8-h moving and PM 24-h moving means
  hourly: [
    ['so2_1h', 0, '_1h'],
    ['no2_1h', 1, '_1h'],
    ['co_1h', 2, '_1h'],
    ['o3_1h', 3, '_1h'],
    ['pm10_1h', 4, '_1h'],
    ['pm25_1h', 5, '_1h'],
    ['o3_8h', 3, '_8h'],
    ['so2_24h', 0, '_24h'],
    ['pm10_24h', 4, '_24h'],
    ['pm25_24h', 5, '_24h'],
  ],
  // daily report: natural-day means, O3 daily max 8-h (and, 2012, daily max 1-h)
  daily: [
    ['so2_24h', 0, '_day'],
    ['no2_24h', 1, '_day'],
    ['co_24h', 2, '_day'],
    ['pm10_24h', 4, '_day'],
    ['pm25_24h', 5, '_day'],
    ['o3_8h', 3, '_8h_dmax'],
    ['o3_1h', 3, '_1h_dmax'],
  ],
};

/**
 * `aqi`: HJ 633 AQI of each report, graded by AQI thresholds. `report: 'hourly'` rates readings of
 * `period: 'hour'` (the derived hourly means, or a device's own hour data) with the real-time
 * report's indicators; `report: 'daily'` rates `period: 'day'` readings with the daily report's.
 * Real-time and minute values are not rated: they are averaged first (src/means.ts).
 * - Table by the period's start date, China time (HJ 633-2012 before 2026-03-01, 2026 from then).
 * - Incomplete indicator sets: the rule grades the AQI of the indicators present. HJ 633-2026
 *   §5.3.1 publishes an incomplete AQI only above 100 (else NA); for an alert that means: above
 *   the threshold it raises (the published AQI), and at or below it the available data show the
 *   air is not polluted by what was measured, so a raised alert clears (README "AQI alerts").
 * - Signals carry the END of the averaging period as their time: the instant the mean existed.
 */
export function compileAqi(rule: AqiRule): DeviceRule {
  const spec = gradeSpec(rule, true);
  const quality: ReadonlySet<Quality> = new Set(rule.quality);
  const th = new Float64Array(5);
  const conc = new Float64Array(N_INDICATORS);
  const iaqi = new Float64Array(N_INDICATORS);
  const report = rule.report;
  const period = report === 'hourly' ? 'hour' : 'day';
  const span = report === 'hourly' ? HOUR : DAY;
  const sources = SOURCES[report].map(([ind, p, suffix]) => [IX[ind], `${rule.metrics[AQI_POLLUTANTS[p]!] ?? AQI_POLLUTANTS[p]!}${suffix}`] as const);
  const { id, title } = rule;
  const pinned: AqiVersion | undefined = rule.version === 'auto' ? undefined : rule.version;
  let version: AqiVersion = 'HJ633-2026';
  let complete = true;
  const describe = (v: number, t: number, lv: number): string => {
    const res = describeAqi(v, iaqi, version, complete);
    const primary = res.primary.length > 0 ? `, primary ${res.primary.join('/')}` : '';
    const partial = complete ? '' : ', incomplete';
    return lv > 0
      ? `${title}: ${report} AQI ${fmt(v)} ${aqiBand(v).nameEn}${primary} (>= ${fmt(t)}, ${version}${partial})`
      : `${title}: ${report} AQI ${fmt(v)} back to normal (${version}${partial})`;
  };
  return {
    id,
    applies: compileFilter(rule.filter),
    evaluate(r, d, st, out) {
      if (r.period !== period) return;
      conc.fill(NaN);
      let any = false;
      for (const [ix, name] of sources) {
        const m = own(r.metrics, name);
        if (m !== undefined && quality.has(m.quality) && m.value >= 0) {
          conc[ix] = m.value;
          any = true;
        }
      }
      if (!any) return;
      version = pinned ?? aqiVersionAt(r.ts);
      // only what this report of this version rates; the 2012 SO2 24-h stands in for a 1-h > 800 only
      const mask = reportMask(version, report);
      const so2Over = report === 'hourly' && version === 'HJ633-2012' && conc[IX.so2_1h]! > 800;
      for (let i = 0; i < N_INDICATORS; i++) if (mask[i] === 0 && !(so2Over && i === IX.so2_24h)) conc[i] = NaN;
      const a = aqiCore(conc, version, report, iaqi, true);
      if (a !== a) return;
      complete = aqiComplete(conc, version, report);
      const at: Reading = { ...r, ts: r.ts + span };
      gradeAndEmit(spec, gradeSlot(st, id), th, at, d, id, 'aqi', a, out, describe);
    },
  };
}
