import { GanzhiError } from '@ganzhi/schemas';
import { createDrift } from '../rng';
import type { LevelTarget, ScenarioDevice } from '../scenario/schema';
import { HOUR, MINUTE, chinaHour, eventsOf, numAttr, paramReader, round, type DeviceModel, type ModelInit, type Sample } from './shared';

/*
 * River gauge: rainfall drives the water level. Each rain event has a bell-shaped intensity
 * (sin^2 over its duration); the level's response is that rain convolved with a unit hydrograph
 * (a quadratic rise over `lag`, then an exponential recession that is down to a third after
 * `recession`), scaled so that the crest reaches the event's `crest` (a level, or one of the
 * station's own levels from its registry attributes: warningLevel, guaranteedLevel,
 * historicalMax). Flow follows a rating curve; the rain gauge tips in 0.5 mm steps.
 *
 * params: baseLevel (m; default warningLevel - 1.5, else 5), noise (m, 0.004), metresPerMm
 * (rise per mm when no crest is given, 0.02), ratingA (35), ratingB (1.6), zeroFlowLevel
 * (baseLevel - 1.5), batteryV (12.8).
 */

const STEP = 5 * MINUTE;
const BUCKET_MM = 0.5;

interface Response {
  readonly from: number;
  readonly rise: number;
  /** Normalised response (max 1) on a 5-minute grid from `from`. */
  readonly shape: Float64Array;
  readonly rain: { at: number; duration: number; peak: number };
}

function resolveLevel(target: LevelTarget, device: ScenarioDevice): number {
  if (typeof target === 'number') return target;
  const base = numAttr(device, target.attribute);
  if (base === undefined) {
    throw new GanzhiError('GANZHI_ERR_SIM_SCENARIO', `device ${device.id}: crest refers to attribute "${target.attribute}", which the device does not have`);
  }
  return base + target.plus;
}

/** Rain intensity (mm/h) of one event at time t. */
function intensity(rain: Response['rain'], t: number): number {
  if (t <= rain.at || t >= rain.at + rain.duration) return 0;
  const s = Math.sin((Math.PI * (t - rain.at)) / rain.duration);
  return rain.peak * s * s;
}

function responseShape(rain: Response['rain'], lag: number, recession: number): Float64Array {
  const k = recession / Math.log(3);
  const uhLen = Math.ceil((lag + 6 * recession) / STEP);
  const uh = new Float64Array(uhLen);
  for (let i = 0; i < uhLen; i++) {
    const tau = i * STEP;
    uh[i] = tau <= lag ? (tau / lag) ** 2 : Math.exp(-(tau - lag) / k);
  }
  const rainLen = Math.ceil(rain.duration / STEP) + 1;
  const out = new Float64Array(rainLen + uhLen);
  for (let i = 0; i < rainLen; i++) {
    const p = intensity(rain, rain.at + i * STEP);
    if (p === 0) continue;
    for (let j = 0; j < uhLen; j++) out[i + j]! += p * uh[j]!;
  }
  let max = 0;
  for (const v of out) max = Math.max(max, v);
  if (max > 0) for (let i = 0; i < out.length; i++) out[i]! /= max;
  return out;
}

export function createRiverGaugeModel({ device, events, rng, start }: ModelInit): DeviceModel {
  const p = paramReader(device);
  const warning = numAttr(device, 'warningLevel');
  const baseLevel = p.num('baseLevel', warning !== undefined ? warning - 1.5 : 5);
  const noise = p.num('noise', 0.004);
  const metresPerMm = p.num('metresPerMm', 0.02);
  const ratingA = p.num('ratingA', 35);
  const ratingB = p.num('ratingB', 1.6);
  const zeroFlow = p.num('zeroFlowLevel', baseLevel - 1.5);
  const battery = p.num('batteryV', 12.8);
  p.done();

  const responses: Response[] = eventsOf(events, 'rain').map((e) => {
    const rain = { at: e.at, duration: e.duration, peak: e.peakMmPerHour };
    const totalMm = (e.peakMmPerHour * e.duration) / HOUR / 2;
    const rise = e.crest !== undefined ? resolveLevel(e.crest, device) - baseLevel : totalMm * metresPerMm;
    return { from: e.at, rise: Math.max(0, rise), shape: responseShape(rain, e.lag, e.recession), rain };
  });

  const drift = createDrift(rng.fork('level'), 0.01, 6 * 3600);
  const cells = createDrift(rng.fork('cells'), 0.35, 20 * 60);
  const history: { t: number; mm: number }[] = [];
  let lastT: number | undefined;
  let bucketRemainder = 0;
  let rainToday = 0;
  let rainDay = -1;

  function levelAt(t: number): number {
    let level = baseLevel;
    for (const r of responses) {
      const x = (t - r.from) / STEP;
      if (x < 0) continue;
      const i = Math.floor(x);
      const a = r.shape[i] ?? 0;
      const b = r.shape[i + 1] ?? 0;
      level += r.rise * (a + (b - a) * (x - i));
    }
    return level;
  }

  /** Rain (mm) that fell in (from, to], with the storm cells' variability. */
  function rainBetween(from: number, to: number): number {
    let mm = 0;
    const n = Math.max(1, Math.ceil((to - from) / MINUTE));
    const dt = (to - from) / n;
    for (let i = 0; i < n; i++) {
      const t = from + (i + 0.5) * dt;
      let mmh = 0;
      for (const r of responses) mmh += intensity(r.rain, t);
      mm += (mmh * dt) / HOUR;
    }
    return mm * Math.max(0, 1 + cells.value);
  }

  return {
    deadband: {},
    sample(t: number): Sample {
      const dtSec = lastT === undefined ? 0 : (t - lastT) / 1000;
      drift.step(dtSec);
      cells.step(dtSec);
      const fallen = lastT === undefined ? 0 : rainBetween(lastT, t) + bucketRemainder;
      const tipped = Math.floor(fallen / BUCKET_MM) * BUCKET_MM;
      bucketRemainder = fallen - tipped;
      lastT = t;
      history.push({ t, mm: tipped });
      while (history.length > 0 && history[0]!.t <= t - HOUR) history.shift();
      const rain1h = history.reduce((s, h) => s + h.mm, 0);
      // The rain day runs from 08:00 to 08:00 China time, which is 00:00 to 00:00 UTC.
      const day = Math.floor((start + t) / (24 * HOUR));
      if (day !== rainDay) {
        rainDay = day;
        rainToday = 0;
      }
      rainToday += tipped;
      const level = levelAt(t) + drift.value + rng.normal(0, noise);
      const flow = ratingA * Math.max(0, level - zeroFlow) ** ratingB;
      const solar = Math.max(0, Math.sin((Math.PI * (chinaHour(start + t) - 6)) / 12));
      return {
        metrics: {
          waterLevel: round(level, 2),
          rainfall: round(tipped, 1),
          rain1h: round(rain1h, 1),
          rainToday: round(rainToday, 1),
          flow: round(flow, 1),
          batteryV: round(battery - 0.3 + 0.6 * solar + rng.normal(0, 0.02), 2),
        },
        states: {},
      };
    },
  };
}
