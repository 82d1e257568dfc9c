import { createDrift } from '../rng';
import { HOUR, MINUTE, chinaHour, envelope, eventsOf, paramReader, round, type DeviceModel, type ModelInit, type Sample } from './shared';

/*
 * Port devices. `sensors` chooses what the device carries: an anemometer (10-minute mean wind,
 * 3-second gust, direction), a quay crane's state, a reefer container's controller, or all.
 *
 * Wind: a mean with a sea breeze in the afternoon and slow gustiness (AR(1)); a typhoon passage
 * blends the mean towards `peakWind` (smooth ramps), widens the gust factor and veers the wind.
 * Crane: operating and idle spells (minutes to an hour) while the gust stays under `warnGust`;
 * parked (work stopped) at `stopGust` or more, stowed (storm pins and tie-downs) at a mean of
 * `stowWind` or more; back to idle once the gust has stayed below `warnGust` for an hour. A
 * `reckless` crane keeps operating whatever the wind (what the crane-wind rule exists for).
 * Reefer: supply air just under the setpoint, return air a little over it, a 25-minute defrost
 * every `defrostEvery` hours (return air warms, reeferDefrost true); a power loss lets both drift
 * towards the ambient temperature, and the unit pulls down again when power returns.
 *
 * params: sensors (wind,crane,reefer; default all), meanWind (5.5 m/s), windDirection (120 deg),
 * gustFactor (1.35), warnGust (15), stopGust (20), stowWind (17.2), reckless (false),
 * setpoint (-18 degC), ambient (28 degC), defrostEvery (8 h).
 */

const SENSORS = ['wind', 'crane', 'reefer'] as const;
type CraneState = 'operating' | 'idle' | 'parked' | 'stowed';

export function createPortDeviceModel({ device, events, rng, start }: ModelInit): DeviceModel {
  const p = paramReader(device);
  const sensors = new Set(p.list('sensors', SENSORS, SENSORS));
  const meanWind = p.num('meanWind', 5.5);
  const baseDirection = p.num('windDirection', 120);
  const baseGust = p.num('gustFactor', 1.35);
  const warnGust = p.num('warnGust', 15);
  const stopGust = p.num('stopGust', 20);
  const stowWind = p.num('stowWind', 17.2);
  const reckless = p.bool('reckless', false);
  const setpoint = p.num('setpoint', -18);
  const ambient = p.num('ambient', 28);
  const defrostEvery = p.num('defrostEvery', 8) * HOUR;
  p.done();

  const typhoons = eventsOf(events, 'typhoon');
  const forced = eventsOf(events, 'crane');
  const outages = eventsOf(events, 'reefer-power-loss');
  const gusty = createDrift(rng.fork('gusty'), 0.18, 40 * 60);
  const veering = createDrift(rng.fork('veering'), 12, 2 * 3600);
  const crane = rng.fork('crane');
  const defrostPhase = rng.uniform(0, defrostEvery);
  let lastT: number | undefined;
  let state: CraneState = crane.chance(0.6) ? 'operating' : 'idle';
  let spellEnds = crane.uniform(10, 60) * MINUTE;
  let calmSince = 0;
  // Reefer air temperatures and the first-order lag they follow.
  let supply = setpoint - 0.3;
  let ret = setpoint + 2.2;

  function wind(t: number): { mean: number; gust: number; direction: number } {
    const h = chinaHour(start + t);
    const breeze = 1 + 0.25 * Math.max(0, Math.sin((Math.PI * (h - 10)) / 10));
    let mean = meanWind * breeze * Math.exp(gusty.value);
    let factor = baseGust;
    let direction = baseDirection + veering.value;
    for (const e of typhoons) {
      const w = envelope(t, e.at, e.rampUp, e.hold, e.rampDown);
      if (w <= 0) continue;
      mean = mean * (1 - w) + e.peakWind * w * Math.exp(gusty.value * 0.4);
      factor = baseGust * (1 - w) + e.gustFactor * w;
      const progress = Math.min(1, (t - e.at) / (e.rampUp + e.hold + e.rampDown));
      direction += e.veer * progress;
    }
    const gust = mean * factor * (1 + 0.06 * Math.abs(rng.normal()));
    return { mean, gust, direction: ((direction % 360) + 360) % 360 };
  }

  function nextCraneState(t: number, w: { mean: number; gust: number }): CraneState {
    const force = forced.find((f) => t >= f.at && (f.duration === undefined || t < f.at + f.duration));
    if (force) return force.state;
    if (reckless) return state === 'operating' || state === 'idle' ? state : 'operating';
    if (w.gust >= warnGust) calmSince = t;
    if (w.mean >= stowWind || (state === 'stowed' && t - calmSince < HOUR)) return 'stowed';
    if (w.gust >= stopGust || (state === 'parked' && t - calmSince < HOUR)) return 'parked';
    if (state === 'parked' || state === 'stowed') {
      spellEnds = t + crane.uniform(10, 60) * MINUTE;
      return 'idle';
    }
    return state;
  }

  return {
    deadband: { windSpeed: 3, windGust: 5 },
    sample(t: number): Sample {
      const dtSec = lastT === undefined ? 0 : (t - lastT) / 1000;
      lastT = t;
      gusty.step(dtSec);
      veering.step(dtSec);
      const w = wind(t);

      state = nextCraneState(t, w);
      if ((state === 'operating' || state === 'idle') && t >= spellEnds) {
        state = state === 'operating' ? 'idle' : 'operating';
        spellEnds = t + crane.uniform(state === 'operating' ? 20 : 5, state === 'operating' ? 90 : 40) * MINUTE;
      }

      const powered = !outages.some((o) => t >= o.at && t < o.at + o.duration);
      const defrosting = powered && (t + defrostPhase) % defrostEvery < 25 * MINUTE;
      const lag = (target: number, tau: number, x: number) => target + (x - target) * Math.exp(-dtSec / tau);
      if (!powered) {
        supply = lag(ambient, 2.5 * 3600, supply);
        ret = lag(ambient, 3 * 3600, ret);
      } else if (defrosting) {
        supply = lag(setpoint + 6, 8 * 60, supply);
        ret = lag(setpoint + 9, 8 * 60, ret);
      } else {
        supply = lag(setpoint - 0.3, 30 * 60, supply);
        ret = lag(setpoint + 2.2, 40 * 60, ret);
      }

      const metrics: Record<string, number> = {};
      const states: Record<string, string | boolean> = {};
      if (sensors.has('wind')) {
        metrics.windSpeed = round(w.mean, 1);
        metrics.windGust = round(Math.max(w.gust, w.mean), 1);
        metrics.windDirection = round(w.direction, 0);
      }
      if (sensors.has('crane')) states.craneState = state;
      if (sensors.has('reefer')) {
        metrics.reeferSupplyTemp = round(supply + rng.normal(0, 0.15), 1);
        metrics.reeferReturnTemp = round(ret + rng.normal(0, 0.3), 1);
        metrics.reeferSetpoint = setpoint;
        states.reeferPower = powered;
        states.reeferDefrost = defrosting;
      }
      return { metrics, states };
    },
  };
}
