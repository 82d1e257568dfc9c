import { createDrift } from '../rng';
import type { ScenarioEvent } from '../scenario/schema';
import { HOUR, MINUTE, chinaHour, clamp, envelope, eventsOf, paramReader, round, type DeviceModel, type ModelInit, type Sample } from './shared';

/*
 * Smart-fire sensors. `sensors` chooses what the device measures: a smoke/heat detector, a
 * hydrant/sprinkler riser, an electrical-fire monitor (residual current, cable temperature), or
 * all of them. They sample every 10 s and report on change (deadbands) or on their heartbeat.
 *
 * A fire smoulders first (smoke, little heat), then grows as a t-squared fire (heat release
 * Q = alpha t^2, NFPA 72 growth classes); the ceiling temperature over the plume follows
 * Alpert's correlation, dT = 16.9 Q^(2/3) / H^(5/3). Sprinklers open at 68 degC: the sprinkler
 * pipe pressure drops to its flowing value and the fire is held and decays. Hydrants opened by
 * the brigade drop the hydrant pressure. An electrical fault ramps residual current and cable
 * temperature; a pressure loss (pump failure, main break) ramps a pressure down.
 *
 * params: sensors (smoke,heat,hydrant,sprinkler,electrical,battery; default all), ceilingHeight
 * (8 m), ambient (24 degC), hydrantStatic (0.45 MPa), sprinklerStatic (0.38 MPa), hydrantFlowing
 * (0.22), sprinklerFlowing (0.12), residualCurrent (60 mA), cableTemperature (32 degC),
 * battery (97 %), maxHeat (150 degC: the detector saturates).
 */

const SENSORS = ['smoke', 'heat', 'hydrant', 'sprinkler', 'electrical', 'battery'] as const;
const ALPHA = { slow: 0.00293, medium: 0.01172, fast: 0.0469, ultrafast: 0.1876 } as const; // kW/s^2
const SPRINKLER_OPENS_AT = 68;

type FireEvent = Extract<ScenarioEvent, { type: 'fire' }>;

interface FireState {
  sprinklerOpenedAt?: number;
  heatReleaseAtOpening?: number;
}

export function createFireSensorModel({ device, events, rng, start }: ModelInit): DeviceModel {
  const p = paramReader(device);
  const sensors = new Set(p.list('sensors', SENSORS, SENSORS));
  const height = p.num('ceilingHeight', 8);
  const ambient = p.num('ambient', 24);
  const hydrantStatic = p.num('hydrantStatic', 0.45);
  const sprinklerStatic = p.num('sprinklerStatic', 0.38);
  const hydrantFlowing = p.num('hydrantFlowing', 0.22);
  const sprinklerFlowing = p.num('sprinklerFlowing', 0.12);
  const residualBase = p.num('residualCurrent', 60);
  const cableBase = p.num('cableTemperature', 32);
  const batteryStart = p.num('battery', 97);
  const maxHeat = p.num('maxHeat', 150);
  p.done();

  const fires = eventsOf(events, 'fire').map((e) => ({ e, s: {} as FireState }));
  const faults = eventsOf(events, 'electrical-fault');
  const losses = eventsOf(events, 'pressure-loss');
  const pump = createDrift(rng.fork('pump'), 0.008, 4 * 3600);
  const leak = createDrift(rng.fork('leak'), 0.15, 2 * 3600);
  let lastT: number | undefined;

  /** Heat release (kW) of one fire at t, tracking sprinkler activation from the ceiling temperature. */
  function heatRelease({ e, s }: { e: FireEvent; s: FireState }, t: number): number {
    const since = t - e.at - e.smoulder;
    if (since <= 0) return 0;
    let q = ALPHA[e.growth] * (since / 1000) ** 2;
    if (s.sprinklerOpenedAt !== undefined) q = s.heatReleaseAtOpening! * Math.exp(-(t - s.sprinklerOpenedAt) / (10 * MINUTE));
    const out = t - e.at - e.outAfter;
    if (out > 0) q *= Math.exp(-out / (5 * MINUTE));
    return Math.min(q, 50_000);
  }

  return {
    deadband: { smoke: 1, heat: 2, hydrantPressure: 0.03, sprinklerPressure: 0.03, residualCurrent: 40, cableTemperature: 3, battery: 5 },
    sample(t: number): Sample {
      const dtSec = lastT === undefined ? 0 : (t - lastT) / 1000;
      lastT = t;
      pump.step(dtSec);
      leak.step(dtSec);
      const h = chinaHour(start + t);
      const daily = Math.sin((2 * Math.PI * (h - 9)) / 24);

      let smoke = Math.max(0, rng.normal(0.08, 0.03));
      let ceiling = ambient + 2 * daily;
      let sprinklerFlow = false;
      let hydrantFlow = false;
      for (const f of fires) {
        const since = t - f.e.at;
        if (since <= 0) continue;
        const q = heatRelease(f, t);
        const smoulder = f.e.smoulder > 0 ? 4 * Math.min(1, since / f.e.smoulder) ** 1.5 : 0;
        const clearing = since > f.e.outAfter ? Math.exp(-(since - f.e.outAfter) / (15 * MINUTE)) : 1;
        smoke = Math.max(smoke, Math.min(60, (smoulder + 0.03 * q) * clearing));
        const rise = (16.9 * q ** (2 / 3)) / height ** (5 / 3) + 0.5 * Math.min(1, since / Math.max(1, f.e.smoulder));
        ceiling = Math.max(ceiling, ambient + rise);
        if (f.e.sprinklers && f.s.sprinklerOpenedAt === undefined && ceiling >= SPRINKLER_OPENS_AT) {
          f.s.sprinklerOpenedAt = t;
          f.s.heatReleaseAtOpening = q;
        }
        if (f.s.sprinklerOpenedAt !== undefined && since < f.e.outAfter + 10 * MINUTE) sprinklerFlow = true;
        if (f.e.hydrantAfter !== undefined && since >= f.e.hydrantAfter && since < f.e.outAfter + 15 * MINUTE) hydrantFlow = true;
      }

      let hydrant = (hydrantFlow ? hydrantFlowing : hydrantStatic) + pump.value + rng.normal(0, 0.003);
      let sprinkler = (sprinklerFlow ? sprinklerFlowing : sprinklerStatic) + pump.value * 0.8 + rng.normal(0, 0.003);
      for (const l of losses) {
        const w = envelope(t, l.at, l.over, l.hold, l.over);
        if (l.metric === 'hydrantPressure') hydrant = hydrant + (l.to - hydrant) * w;
        else sprinkler = sprinkler + (l.to - sprinkler) * w;
      }

      const load = 0.6 + 0.4 * Math.max(0, Math.sin((Math.PI * (h - 7)) / 14));
      let residual = residualBase * load * Math.exp(leak.value) + rng.normal(0, 3);
      let cable = cableBase + 8 * load + 0.3 * daily + rng.normal(0, 0.2);
      for (const fault of faults) {
        const w = envelope(t, fault.at, fault.ramp, fault.hold, fault.ramp);
        residual += (fault.residualCurrent - residual) * w;
        cable += (fault.cableTemperature - cable) * w;
      }

      const metrics: Record<string, number> = {};
      if (sensors.has('smoke')) metrics.smoke = round(clamp(smoke, 0, 100), 2);
      if (sensors.has('heat')) metrics.heat = round(Math.min(maxHeat, ceiling + rng.normal(0, 0.2)), 1);
      if (sensors.has('hydrant')) metrics.hydrantPressure = round(clamp(hydrant, 0, 5), 3);
      if (sensors.has('sprinkler')) metrics.sprinklerPressure = round(clamp(sprinkler, 0, 5), 3);
      if (sensors.has('electrical')) {
        metrics.residualCurrent = round(Math.max(0, residual), 0);
        metrics.cableTemperature = round(cable, 1);
      }
      if (sensors.has('battery')) metrics.battery = round(clamp(batteryStart - (0.02 * t) / HOUR, 0, 100), 0);
      return { metrics, states: {} };
    },
  };
}
