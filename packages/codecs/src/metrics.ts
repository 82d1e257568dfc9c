import type { DeviceKind } from '@ganzhi/schemas';

/**
 * The metric catalogue: every numeric metric a reading may carry, per device kind, with its unit
 * and physical range. Values outside the range are sensor or transmission faults, never alarms
 * (alarm thresholds live in the rule files and sit well inside these ranges). Units are ASCII so
 * that they travel unchanged through MQTT topics, ILP and SQL.
 */
export interface MetricSpec {
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  readonly description: string;
}

export const UNITS = {
  metre: 'm',
  millimetre: 'mm',
  cubicMetrePerSecond: 'm3/s',
  volt: 'V',
  microgramPerCubicMetre: 'ug/m3',
  milligramPerCubicMetre: 'mg/m3',
  celsius: 'degC',
  percent: '%',
  percentPerMetre: '%/m',
  percentLel: '%LEL',
  megapascal: 'MPa',
  milliampere: 'mA',
  metrePerSecond: 'm/s',
  degree: 'deg',
  /** A 0/1 alarm carried as a metric so that rules can compare it. */
  bool: 'bool',
} as const;

const m = (unit: string, min: number, max: number, description: string): MetricSpec => ({ unit, min, max, description });

export const RIVER_GAUGE_METRICS = {
  waterLevel: m(UNITS.metre, -100, 6000, 'water level: stage above the gauge zero or elevation above the datum'),
  rainfall: m(UNITS.millimetre, 0, 500, 'rainfall in the report interval'),
  rain1h: m(UNITS.millimetre, 0, 500, 'rainfall in the last hour'),
  rainToday: m(UNITS.millimetre, 0, 2000, 'rainfall since the start of the rain day (SL 651 PJ)'),
  rainTotal: m(UNITS.millimetre, 0, 100_000, 'accumulated rainfall counter (SL 651 PT)'),
  flow: m(UNITS.cubicMetrePerSecond, -100_000, 500_000, 'discharge (negative in tidal reaches)'),
  batteryV: m(UNITS.volt, 0, 60, 'supply or battery voltage'),
} as const satisfies Record<string, MetricSpec>;

export const AIR_MONITOR_METRICS = {
  pm25: m(UNITS.microgramPerCubicMetre, 0, 5000, 'PM2.5 concentration'),
  pm10: m(UNITS.microgramPerCubicMetre, 0, 10_000, 'PM10 concentration (dust storms exceed 5000)'),
  so2: m(UNITS.microgramPerCubicMetre, 0, 5000, 'SO2 concentration'),
  no2: m(UNITS.microgramPerCubicMetre, 0, 5000, 'NO2 concentration'),
  o3: m(UNITS.microgramPerCubicMetre, 0, 5000, 'O3 concentration'),
  co: m(UNITS.milligramPerCubicMetre, 0, 200, 'CO concentration'),
  temperature: m(UNITS.celsius, -60, 70, 'air temperature'),
  humidity: m(UNITS.percent, 0, 100, 'relative humidity'),
} as const satisfies Record<string, MetricSpec>;

export const FIRE_SENSOR_METRICS = {
  smoke: m(UNITS.percentPerMetre, 0, 100, 'smoke obscuration'),
  smokeAlarm: m(UNITS.bool, 0, 1, 'smoke detector alarm (1 = alarm), from a boolean `smoke`'),
  temperature: m(UNITS.celsius, -40, 300, 'heat detector temperature (input `temperature` or `heat`)'),
  hydrantPressure: m(UNITS.megapascal, 0, 5, 'hydrant main / riser pressure'),
  sprinklerPressure: m(UNITS.megapascal, 0, 5, 'sprinkler pipe pressure'),
  residualCurrent: m(UNITS.milliampere, 0, 5000, 'electrical-fire residual (leakage) current'),
  cableTemperature: m(UNITS.celsius, -40, 300, 'electrical-fire cable temperature'),
  battery: m(UNITS.percent, 0, 100, 'battery charge'),
  // GB/T 26875.3 fire panels (through a UITD): alarm classes as 0/1, latched until the panel resets
  fireAlarm: m(UNITS.bool, 0, 1, 'fire alarm (火警) on the panel: 1 = a component or the controller is in fire alarm'),
  supervisory: m(UNITS.bool, 0, 1, 'supervisory signal (监管) on the panel'),
  fault: m(UNITS.bool, 0, 1, 'fault (故障) on the panel'),
  disabled: m(UNITS.bool, 0, 1, 'a component or the controller disabled / isolated (屏蔽)'),
  gasConcentration: m(UNITS.percentLel, 0, 100, 'flammable gas, % of the lower explosive limit'),
  tankLevel: m(UNITS.metre, 0, 100, 'fire water tank or pool level'),
} as const satisfies Record<string, MetricSpec>;

export const PORT_DEVICE_METRICS = {
  windSpeed: m(UNITS.metrePerSecond, 0, 90, '10-minute mean wind speed'),
  windGust: m(UNITS.metrePerSecond, 0, 120, 'maximum 3-second gust'),
  windDirection: m(UNITS.degree, 0, 360, 'wind direction, degrees from north'),
  reeferSupplyTemp: m(UNITS.celsius, -70, 80, 'reefer supply-air temperature'),
  reeferReturnTemp: m(UNITS.celsius, -70, 80, 'reefer return-air temperature'),
  reeferSetpoint: m(UNITS.celsius, -60, 40, 'reefer setpoint'),
} as const satisfies Record<string, MetricSpec>;

export const METRICS: Readonly<Record<DeviceKind, Readonly<Record<string, MetricSpec>>>> = {
  river_gauge: RIVER_GAUGE_METRICS,
  air_monitor: AIR_MONITOR_METRICS,
  fire_sensor: FIRE_SENSOR_METRICS,
  port_device: PORT_DEVICE_METRICS,
};

/** Crane states a port device may report (a state, not a metric). */
export const CRANE_STATES = ['operating', 'idle', 'parked', 'stowed'] as const;
export type CraneState = (typeof CRANE_STATES)[number];
