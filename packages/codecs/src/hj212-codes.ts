import type { AIR_MONITOR_METRICS } from './metrics';

export type AirMetric = keyof typeof AIR_MONITOR_METRICS;

/**
 * One HJ 212 factor code (domain README §1.7; HJ 212-2017 Appendix B table B.2):
 * - `printed`: the default unit the standard's table prints (undefined when the code is not in it);
 * - `ambient`: what ambient air monitors (ST 22) actually send, the default for them;
 * - `other`: the default for other system types: the standard's unit where it is credible,
 *   undefined where the model must declare it (PM is printed as ng/m3, which no monitor sends).
 */
export interface Hj212CodeSpec {
  readonly metric: AirMetric;
  readonly printed: string | undefined;
  readonly ambient: string;
  readonly other: string | undefined;
  readonly clause: string;
}

const spec = (metric: AirMetric, printed: string | undefined, ambient: string, other: string | undefined, clause: string): Hj212CodeSpec => ({
  metric,
  printed,
  ambient,
  other,
  clause,
});

/**
 * The codes the normalizer maps, with their units. A Map, so that a device-supplied code such as
 * `toString` or `__proto__` never finds an Object.prototype member.
 */
export const HJ212_CODES: ReadonlyMap<string, Hj212CodeSpec> = new Map([
  ['a34004', spec('pm25', 'ng/m3', 'ug/m3', undefined, 'HJ 212-2017 table B.2 (printed ng/m3 [!]); ambient practice ug/m3 (domain §1.7)')],
  ['a34002', spec('pm10', 'ng/m3', 'ug/m3', undefined, 'HJ 212-2017 table B.2 (printed ng/m3 [!]); ambient practice ug/m3 (domain §1.7)')],
  ['a21026', spec('so2', 'mg/m3', 'ug/m3', 'mg/m3', 'HJ 212-2017 table B.2; ambient practice ug/m3 (domain §1.7)')],
  ['a21004', spec('no2', 'mg/m3', 'ug/m3', 'mg/m3', 'HJ 212-2017 table B.2; ambient practice ug/m3 (domain §1.7)')],
  ['a21005', spec('co', 'mg/m3', 'mg/m3', 'mg/m3', 'HJ 212-2017 table B.2')],
  ['a05024', spec('o3', undefined, 'ug/m3', undefined, 'HJ 524-2009 code, not in HJ 212-2017 table B.2; ambient practice ug/m3')],
  ['a01001', spec('temperature', 'degC', 'degC', 'degC', 'HJ 212-2017 table B.2')],
  ['a01002', spec('humidity', '%', '%', '%', 'HJ 212-2017 table B.2')],
  ['02', spec('so2', 'mg/m3', 'ug/m3', 'mg/m3', 'HJ/T 212-2005 code 02 (SO2)')],
  ['04', spec('co', 'mg/m3', 'mg/m3', 'mg/m3', 'HJ/T 212-2005 code 04 (CO)')],
  ['PM25', spec('pm25', undefined, 'ug/m3', undefined, 'vendor code on ambient monitors (domain §1.7)')],
  ['PM10', spec('pm10', undefined, 'ug/m3', undefined, 'vendor code on ambient monitors (domain §1.7)')],
  ['O3', spec('o3', undefined, 'ug/m3', undefined, 'vendor code on ambient monitors (domain §1.7)')],
  ['TEMP', spec('temperature', undefined, 'degC', 'degC', 'vendor code on ambient monitors (domain §1.7)')],
  ['HUMI', spec('humidity', undefined, '%', '%', 'vendor code on ambient monitors (domain §1.7)')],
]);

/** HJ 212 codes mapped to metrics (derived from HJ212_CODES; kept for callers of the old table). */
export const HJ212_AIR_CODES: ReadonlyMap<string, AirMetric> = new Map([...HJ212_CODES].map(([code, s]) => [code, s.metric]));

/** The standard code an encoder should use for each air metric. */
export const HJ212_CODE_FOR_METRIC: Readonly<Record<AirMetric, string>> = {
  pm25: 'a34004',
  pm10: 'a34002',
  so2: 'a21026',
  no2: 'a21004',
  co: 'a21005',
  o3: 'a05024',
  temperature: 'a01001',
  humidity: 'a01002',
};

/**
 * System codes ST (HJ 212-2017 table 5, domain §1.4) a device kind accepts. Ambient air quality
 * (22) is what an air monitor is; construction-site dust (39) and VOC (27) monitors sit on the
 * same city platforms. A device attribute `st` (e.g. "31" or "22,39") replaces the list.
 */
export const HJ212_ST_FOR_KIND: ReadonlyMap<string, readonly string[]> = new Map([['air_monitor', ['22', '27', '39']]]);

/** ST 22: ambient air quality, whose monitors send ug/m3 (domain §1.7 "Map codes and units per device model"). */
export const HJ212_ST_AMBIENT = '22';

/** ST names (table 5), for reasons. */
export const HJ212_ST_NAMES: ReadonlyMap<string, string> = new Map([
  ['21', 'surface water quality'],
  ['22', 'ambient air quality'],
  ['23', 'acoustic environment quality'],
  ['24', 'groundwater quality'],
  ['25', 'soil quality'],
  ['26', 'sea water quality'],
  ['27', 'VOC monitoring'],
  ['31', 'air pollution source'],
  ['32', 'surface-water pollution source'],
  ['33', 'groundwater pollution source'],
  ['34', 'marine pollution source'],
  ['35', 'soil pollution source'],
  ['36', 'noise source'],
  ['37', 'vibration source'],
  ['38', 'radioactive source'],
  ['39', 'construction-site dust'],
  ['41', 'electromagnetic source'],
  ['51', 'flue-gas process monitoring'],
  ['52', 'waste-water process monitoring'],
  ['91', 'system interaction'],
]);
