import { createDrift } from '../rng';
import { chinaHour, clamp, envelope, eventsOf, paramReader, round, type DeviceModel, type ModelInit, type Sample } from './shared';

/*
 * Ambient air monitor. Daily cycles of city air: traffic peaks at 08:00 and 19:00 (PM, NO2, CO),
 * a shallow night-time boundary layer that holds particles, photochemical O3 peaking mid-afternoon
 * (and titrated by NO2), temperature and humidity swinging against each other. Each pollutant
 * carries slow correlated noise (AR(1), ~2 h). A haze episode adds particles to a peak PM2.5,
 * lifts the traffic gases (stagnant air), cuts O3 and raises humidity.
 *
 * params: pm25 (30 ug/m3), pm10 (55), so2 (8), no2 (30), co (0.6 mg/m3), o3Peak (110),
 * o3Night (25), temperature (26 degC), tempSwing (5), humidity (65 %), noise (0.08, relative).
 */

export function createAirMonitorModel({ device, events, rng, start }: ModelInit): DeviceModel {
  const p = paramReader(device);
  const base = {
    pm25: p.num('pm25', 30),
    pm10: p.num('pm10', 55),
    so2: p.num('so2', 8),
    no2: p.num('no2', 30),
    co: p.num('co', 0.6),
  };
  const o3Peak = p.num('o3Peak', 110);
  const o3Night = p.num('o3Night', 25);
  const temperature = p.num('temperature', 26);
  const tempSwing = p.num('tempSwing', 5);
  const humidity = p.num('humidity', 65);
  const noise = p.num('noise', 0.08);
  p.done();

  const hazes = eventsOf(events, 'haze');
  const shared = createDrift(rng.fork('shared'), noise, 2 * 3600);
  const own = {
    pm25: createDrift(rng.fork('pm25'), noise * 0.6, 3600),
    pm10: createDrift(rng.fork('pm10'), noise * 0.7, 3600),
    so2: createDrift(rng.fork('so2'), noise, 3 * 3600),
    no2: createDrift(rng.fork('no2'), noise, 3600),
    co: createDrift(rng.fork('co'), noise * 0.7, 2 * 3600),
    o3: createDrift(rng.fork('o3'), noise, 2 * 3600),
  };
  const weather = createDrift(rng.fork('weather'), 1, 8 * 3600);
  let lastT: number | undefined;

  return {
    deadband: {},
    sample(t: number): Sample {
      const dtSec = lastT === undefined ? 0 : (t - lastT) / 1000;
      lastT = t;
      shared.step(dtSec);
      for (const d of Object.values(own)) d.step(dtSec);
      weather.step(dtSec);

      const h = chinaHour(start + t);
      const rush = Math.exp(-(((h - 8) / 1.5) ** 2)) + 0.8 * Math.exp(-(((h - 19) / 2) ** 2));
      const night = 1 + 0.2 * Math.cos((2 * Math.PI * (h - 3)) / 24);
      const f = (k: keyof typeof own) => Math.exp(shared.value + own[k].value);

      let haze = 0;
      let peak25 = 0;
      let pm10Ratio = 1.45;
      let gas = { no2: 1, co: 1, so2: 1 };
      for (const e of hazes) {
        const w = envelope(t, e.at, e.rampUp, e.hold, e.rampDown);
        if (w > haze) {
          haze = w;
          peak25 = e.pm25;
          pm10Ratio = e.pm10Ratio;
          gas = { no2: e.no2Factor, co: e.coFactor, so2: e.so2Factor };
        }
      }

      const pm25Base = base.pm25 * (0.85 + 0.25 * rush) * night * f('pm25');
      const pm10Base = base.pm10 * (0.85 + 0.3 * rush) * night * f('pm10');
      const episode = haze * (1 + own.pm25.value);
      const pm25 = pm25Base + episode * Math.max(0, peak25 - base.pm25);
      const pm10 = pm10Base + episode * Math.max(0, peak25 * pm10Ratio - base.pm10);
      const no2 = base.no2 * (0.6 + 0.9 * rush) * f('no2') * (1 + haze * (gas.no2 - 1));
      const co = base.co * (0.8 + 0.5 * rush) * f('co') * (1 + haze * (gas.co - 1));
      const so2 = base.so2 * (0.9 + 0.2 * rush) * f('so2') * (1 + haze * (gas.so2 - 1));
      const sun = Math.max(0, Math.sin((Math.PI * (h - 7)) / 13)) ** 1.5;
      const o3 = Math.max(2, (o3Night + (o3Peak - o3Night) * sun) * f('o3') * (1 - 0.5 * haze) - 0.2 * Math.max(0, no2 - base.no2));
      const swing = Math.sin((2 * Math.PI * (h - 9)) / 24);
      return {
        metrics: {
          pm25: round(pm25, 0),
          pm10: round(pm10, 0),
          so2: round(so2, 0),
          no2: round(no2, 0),
          co: round(co, 2),
          o3: round(o3, 0),
          temperature: round(temperature + tempSwing * swing + weather.value - 1.5 * haze, 1),
          humidity: round(clamp(humidity - 15 * swing + 4 * weather.value + 15 * haze, 15, 100), 0),
        },
        states: {},
      };
    },
  };
}
