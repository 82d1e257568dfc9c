import type { Device } from '@ganzhi/registry';
import { fail, show, type Failure } from './result';

/*
 * Units: every metric has one canonical unit (the `unit` of its catalogue entry, src/metrics.ts:
 * for the AQI pollutants the units HJ 633 rates with, ug/m3 and CO in mg/m3). A device model
 * declares the unit of each code it reports (registry `models[].units`, a device may override);
 * the normalizer converts to the canonical unit and keeps the unit it received on the value.
 */

/** Spellings devices and registry files use, to one ASCII name. Looked up with Map (never a prototype member). */
const ALIASES = new Map<string, string>([
  ['ug/m3', 'ug/m3'],
  ['µg/m3', 'ug/m3'],
  ['μg/m3', 'ug/m3'],
  ['µg/m³', 'ug/m3'],
  ['μg/m³', 'ug/m3'],
  ['ug/m³', 'ug/m3'],
  ['mg/m3', 'mg/m3'],
  ['mg/m³', 'mg/m3'],
  ['ng/m3', 'ng/m3'],
  ['ng/m³', 'ng/m3'],
  ['ppb', 'ppb'],
  ['ppm', 'ppm'],
  ['degc', 'degC'],
  ['°c', 'degC'],
  ['℃', 'degC'],
  ['c', 'degC'],
  ['k', 'K'],
  ['degf', 'degF'],
  ['°f', 'degF'],
  ['%', '%'],
  ['%rh', '%'],
  ['m', 'm'],
  ['cm', 'cm'],
  ['mm', 'mm'],
  ['m3/s', 'm3/s'],
  ['v', 'V'],
  ['mv', 'mV'],
  ['mpa', 'MPa'],
  ['kpa', 'kPa'],
  ['ma', 'mA'],
  ['a', 'A'],
  ['m/s', 'm/s'],
  ['km/h', 'km/h'],
  ['deg', 'deg'],
  ['%/m', '%/m'],
  ['bool', 'bool'],
]);

/** The ASCII name of a unit spelling (`µg/m³` -> `ug/m3`), or undefined when unknown. */
export function unitName(text: string): string | undefined {
  return ALIASES.get(text.trim().toLowerCase()) ?? ALIASES.get(text.trim());
}

/** Mass concentrations, in ug/m3. */
const MASS: ReadonlyMap<string, number> = new Map([
  ['ng/m3', 0.001],
  ['ug/m3', 1],
  ['mg/m3', 1000],
]);

/**
 * Molar masses (g/mol) of the gases a volume ratio can be converted for, at the reference state of
 * GB 3095-2012 amendment 1 (2018) for gaseous pollutants: 298.15 K and 1013.25 hPa, where one mole
 * of gas is 24.465 L. ug/m3 = ppb x M / 24.465. [S]
 */
const MOLAR_MASS: ReadonlyMap<string, number> = new Map([
  ['so2', 64.066],
  ['no2', 46.0055],
  ['o3', 47.997],
  ['co', 28.0101],
]);
const MOLAR_VOLUME_L = 24.465;

/** Linear conversions (factor to the first unit of each family) for the non-concentration units. */
const LINEAR: ReadonlyMap<string, readonly [family: string, factor: number]> = new Map([
  ['m', ['length', 1]],
  ['cm', ['length', 0.01]],
  ['mm', ['length', 0.001]],
  ['V', ['voltage', 1]],
  ['mV', ['voltage', 0.001]],
  ['MPa', ['pressure', 1]],
  ['kPa', ['pressure', 0.001]],
  ['mA', ['current', 1]],
  ['A', ['current', 1000]],
  ['m/s', ['speed', 1]],
  ['km/h', ['speed', 1 / 3.6]],
]);

/** Rounds away binary noise from a converted value (12 significant digits). */
const clean = (v: number): number => (v === 0 ? 0 : Number(v.toPrecision(12)));

/**
 * `value` in `from` converted to `to` for `metric` (which matters for ppb/ppm), or undefined when
 * no conversion exists (ppb of a particle mass, mg/m3 of a temperature, ...). Unit names are ASCII.
 */
export function convertUnit(metric: string, value: number, from: string, to: string): number | undefined {
  if (from === to) return value;
  const base = metric.replace(/_.*$/, '');
  const toUg = (u: string, v: number): number | undefined => {
    const f = MASS.get(u);
    if (f !== undefined) return v * f;
    const mm = MOLAR_MASS.get(base);
    if (mm === undefined) return undefined;
    if (u === 'ppb') return (v * mm) / MOLAR_VOLUME_L;
    if (u === 'ppm') return (v * 1000 * mm) / MOLAR_VOLUME_L;
    return undefined;
  };
  if ((MASS.has(to) || to === 'ppb' || to === 'ppm') && (MASS.has(from) || from === 'ppb' || from === 'ppm')) {
    const ug = toUg(from, value);
    if (ug === undefined) return undefined;
    const f = MASS.get(to);
    if (f !== undefined) return clean(ug / f);
    const back = toUg(to, 1);
    return back === undefined ? undefined : clean(ug / back);
  }
  if (to === 'degC') {
    if (from === 'K') return clean(value - 273.15);
    if (from === 'degF') return clean(((value - 32) * 5) / 9);
    return undefined;
  }
  const a = LINEAR.get(from);
  const b = LINEAR.get(to);
  if (a === undefined || b === undefined || a[0] !== b[0]) return undefined;
  return clean((value * a[1]) / b[1]);
}

/** The unit a device declared for `keys` (code first, then metric name), read with Object.hasOwn. */
export function declaredUnit(device: Device, ...keys: string[]): string | undefined {
  const units = device.units;
  if (units === undefined) return undefined;
  for (const k of keys) if (Object.hasOwn(units, k)) return units[k];
  return undefined;
}

/** A value converted to its canonical unit, with the unit received when it differed. */
export interface Converted {
  readonly value: number;
  readonly receivedUnit: string | undefined;
}

/**
 * Converts `value` received in `received` (any spelling) to `canonical`. A unit that is unknown or
 * has no conversion to the metric's unit fails with GANZHI_ERR_NORM_UNIT naming both.
 */
export function toCanonical(what: string, metric: string, value: number, received: string, canonical: string): Converted | Failure {
  const from = unitName(received);
  if (from === undefined) return fail('GANZHI_ERR_NORM_UNIT', `${what}: unit ${show(received)} is not a known unit (canonical unit of ${metric}: ${canonical})`);
  if (from === canonical) return { value, receivedUnit: undefined };
  const v = convertUnit(metric, value, from, canonical);
  if (v === undefined || !Number.isFinite(v)) return fail('GANZHI_ERR_NORM_UNIT', `${what}: cannot convert ${from} to ${canonical} for ${metric}`);
  return { value: v, receivedUnit: from };
}
