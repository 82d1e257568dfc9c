import type { Quality } from '@ganzhi/schemas';
import { IX, N_INDICATORS, aqiBand, aqiCore, aqiVersionAt, describeAqi } from './aqi';
import type { AqiVersion } from './aqi';
import { compileFilter, fmt } from './common';
import type { DeviceRule } from './common';
import { gradeSpec } from './grade';
import { gradeAndEmit, gradeSlot } from './graded';
import { AQI_POLLUTANTS } from './schema';
import type { AqiRule } from './schema';
import { LIMITS } from './state';

const HOUR = 3_600_000;
/** GB 3095-2012 §8 data validity: a 24-h mean needs 20 hourly values, an 8-h mean needs 6. */
const MIN_HOURS_24 = 20;
const MIN_HOURS_8 = 6;
/** Pollutants whose hourly means the 2012 real-time report needs: PM 24-h, O3 8-h, SO2 24-h (1-h > 800). */
const H_PM10 = 0;
const H_PM25 = 1;
const H_O3 = 2;
const H_SO2 = 3;

/**
 * `aqi`: the real-time AQI of each reading, graded by AQI thresholds.
 * - HJ 633-2026 (readings from 2026-03-01, China time): the six 1-h values, PM rated with the daily
 *   breakpoints; missing data per §5.3.1 (an incomplete AQI not above 100 is NA: no change).
 * - HJ 633-2012 (earlier readings): 1-h SO2/NO2/CO/O3, plus the O3 8-h and PM10/PM2.5 24-h moving
 *   means kept as hourly means in the rule state (24 hourly buckets per pollutant); SO2 1-h > 800
 *   uses the SO2 24-h IAQI.
 * Each reading's concentrations are taken as the 1-h values (the hourly data of the monitor).
 */
export function compileAqi(rule: AqiRule): DeviceRule {
  const spec = gradeSpec(rule, true);
  const quality: ReadonlySet<Quality> = new Set(rule.quality);
  const th = new Float64Array(5);
  const conc = new Float64Array(N_INDICATORS);
  const iaqi = new Float64Array(N_INDICATORS);
  const c1 = new Float64Array(AQI_POLLUTANTS.length);
  const names = AQI_POLLUTANTS.map((p) => rule.metrics[p] ?? p);
  const { id, title } = rule;
  const pinned: AqiVersion | undefined = rule.version === 'auto' ? undefined : rule.version;
  let version: AqiVersion = 'HJ633-2026';
  const describe = (v: number, t: number, lv: number): string => {
    const res = describeAqi(v, iaqi, version, true);
    const primary = res.primary.length > 0 ? `, primary ${res.primary.join('/')}` : '';
    return lv > 0 ? `${title}: AQI ${fmt(v)} ${aqiBand(v).nameEn}${primary} (>= ${fmt(t)}, ${version})` : `${title}: AQI ${fmt(v)} back to normal (${version})`;
  };
  return {
    id,
    applies: compileFilter(rule.filter),
    evaluate(r, d, st, out) {
      let any = false;
      for (let p = 0; p < names.length; p++) {
        const m = r.metrics[names[p]!];
        if (m !== undefined && quality.has(m.quality) && m.value >= 0) {
          c1[p] = m.value;
          any = true;
        } else c1[p] = NaN;
      }
      if (!any) return;
      // AQI_POLLUTANTS order: so2, no2, co, o3, pm10, pm25
      const so2 = c1[0]!;
      const pm10 = c1[4]!;
      const pm25 = c1[5]!;
      const o3 = c1[3]!;
      conc.fill(NaN);
      conc[IX.so2_1h] = so2;
      conc[IX.no2_1h] = c1[1]!;
      conc[IX.co_1h] = c1[2]!;
      conc[IX.o3_1h] = o3;
      version = pinned ?? aqiVersionAt(r.ts);
      const slot = gradeSlot(st, id);
      if (version === 'HJ633-2026') {
        conc[IX.pm10_1h] = pm10;
        conc[IX.pm25_1h] = pm25;
      } else {
        const h = (slot.h ??= [[], [], [], []]);
        const hour = Math.floor(r.ts / HOUR);
        addHourly(h, H_PM10, hour, pm10);
        addHourly(h, H_PM25, hour, pm25);
        addHourly(h, H_O3, hour, o3);
        addHourly(h, H_SO2, hour, so2);
        conc[IX.pm10_24h] = movingMean(h[H_PM10]!, hour, 24, MIN_HOURS_24);
        conc[IX.pm25_24h] = movingMean(h[H_PM25]!, hour, 24, MIN_HOURS_24);
        conc[IX.o3_8h] = movingMean(h[H_O3]!, hour, 8, MIN_HOURS_8);
        if (so2 > 800) conc[IX.so2_24h] = movingMean(h[H_SO2]!, hour, 24, MIN_HOURS_24);
      }
      const a = aqiCore(conc, version, 'hourly', iaqi);
      if (a !== a) return; // NA: leave the level as it is
      gradeAndEmit(spec, slot, th, r, d, id, 'aqi', a, out, describe);
    },
  };
}

/** Adds `v` to the hourly bucket of `hour` in h[p] (flat [hour, sum, count, ...]); keeps 24 hours. */
function addHourly(h: number[][], p: number, hour: number, v: number): void {
  let b = h[p];
  if (b === undefined) b = h[p] = [];
  if (v === v) {
    const last = b.length - 3;
    if (last >= 0 && b[last] === hour) {
      b[last + 1]! += v;
      b[last + 2]!++;
    } else if (last < 0 || b[last]! < hour) {
      b.push(hour, v, 1);
    }
  }
  const oldest = hour - LIMITS.aqiHours + 1;
  let k = 0;
  while (k < b.length && b[k]! < oldest) k += 3;
  if (k > 0) {
    b.copyWithin(0, k);
    b.length -= k;
  }
}

/** Mean of the hourly means over the `span` hours ending at `hour`, NaN with fewer than `min` hours. */
function movingMean(b: number[], hour: number, span: number, min: number): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < b.length; i += 3) {
    if (b[i]! > hour - span) {
      sum += b[i + 1]! / b[i + 2]!;
      n++;
    }
  }
  return n >= min ? sum / n : NaN;
}
