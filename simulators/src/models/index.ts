import type { DeviceKind } from '@ganzhi/schemas';
import { createAirMonitorModel } from './air';
import { createFireSensorModel } from './fire';
import { createPortDeviceModel } from './port';
import { createRiverGaugeModel } from './river';
import { envelope, eventsOf, round, type DeviceModel, type ModelInit } from './shared';

export type { DeviceModel, ModelInit, Sample } from './shared';
export { createRiverGaugeModel, createAirMonitorModel, createFireSensorModel, createPortDeviceModel };

const FACTORIES: Readonly<Record<DeviceKind, (init: ModelInit) => DeviceModel>> = {
  river_gauge: createRiverGaugeModel,
  air_monitor: createAirMonitorModel,
  fire_sensor: createFireSensorModel,
  port_device: createPortDeviceModel,
};

/**
 * The model for a device's kind, with the scenario's generic `ramp` events applied on top: a
 * ramp blends one metric from the model's value to a target and back.
 */
export function createModel(init: ModelInit): DeviceModel {
  const model = FACTORIES[init.device.kind](init);
  const ramps = eventsOf(init.events, 'ramp');
  if (ramps.length === 0) return model;
  return {
    deadband: model.deadband,
    sample(t) {
      const s = model.sample(t);
      for (const r of ramps) {
        const w = envelope(t, r.at, r.over, r.hold, r.back ?? r.over);
        if (w <= 0) continue;
        const from = s.metrics[r.metric] ?? r.to;
        s.metrics[r.metric] = round(from + (r.to - from) * w, 3);
      }
      return s;
    },
  };
}
