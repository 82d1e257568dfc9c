import { describe, expect, it } from 'vitest';
import { ReadingSchema, type ErrorCode } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import { createRegistry, parseRegistry } from '@ganzhi/registry';
import { normalize } from './normalize';
import { encodeHj212, type Hj212FrameInput } from './hj212-encode';
import { convertUnit, unitName } from './units';
import { HJ212_CODES } from './hj212-codes';
import { device, envelope } from './__vectors__/fixtures';

const air = (over: Partial<Device> = {}) => device('air_monitor', { format: 'hj212', ...over });
const hj = (payload: string) => envelope('air_monitor', payload, { format: 'hj212' });
const frame = (pollutants: Record<string, Record<string, string | number>>, over: Partial<Hj212FrameInput> = {}) =>
  encodeHj212({ QN: '20240601120005123', ST: '22', CN: '2011', PW: '123456', MN: 'AQ-01', Flag: 4, cp: { fields: { DataTime: '20240601120000' }, pollutants }, ...over });
const rawCp = (cp: string, over: Partial<Hj212FrameInput> = {}) =>
  encodeHj212({ QN: '20240601120005123', ST: '22', CN: '2011', PW: '123456', MN: 'AQ-01', Flag: 4, cp, ...over });

function failure(result: ReturnType<typeof normalize>): { code: ErrorCode; reason: string } {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.readings)}`);
  return result;
}
const metrics = (result: ReturnType<typeof normalize>) => {
  if (!result.ok) throw new Error(`${result.code}: ${result.reason}`);
  return result.readings[0]!.metrics;
};

const SECRET = 'scrypt$16384$8$1$c2FsdA==$aGFzaA==';

describe('units by device model (registry models, device override)', () => {
  const registry = createRegistry(
    parseRegistry({
      models: [
        { id: 'gas-mg', kind: 'air_monitor', name: 'analyser reporting mg/m3', units: { a21026: 'mg/m3', a21004: 'mg/m3', a05024: 'mg/m3', a34004: 'mg/m3', a34002: 'mg/m3' } },
        { id: 'gas-ug', kind: 'air_monitor', units: { a21026: 'µg/m³' } },
      ],
      devices: [
        { id: 'aq-mg', kind: 'air_monitor', format: 'hj212', model: 'gas-mg', secret: SECRET },
        { id: 'aq-ug', kind: 'air_monitor', format: 'hj212', model: 'gas-ug', secret: SECRET },
        { id: 'aq-mg-but-ppb-no2', kind: 'air_monitor', format: 'hj212', model: 'gas-mg', units: { a21004: 'ppb' }, secret: SECRET },
      ],
    }),
  );
  const send = (id: string, pollutants: Record<string, Record<string, string | number>>) =>
    normalize({ ...hj(frame(pollutants)), deviceId: id }, registry.device(id));

  it('gives the same canonical readings from a mg/m3 model and a ug/m3 model, keeping the unit received', () => {
    const mg = send('aq-mg', { a21026: { Rtd: '0.012' }, a21004: { Rtd: '0.046' }, a05024: { Rtd: '0.16' }, a34004: { Rtd: '0.075' }, a34002: { Rtd: '0.15' }, a21005: { Rtd: '1.3' } });
    const ug = send('aq-ug', { a21026: { Rtd: '12' }, a21004: { Rtd: '46' }, a05024: { Rtd: '160' }, a34004: { Rtd: '75' }, a34002: { Rtd: '150' }, a21005: { Rtd: '1.3' } });
    const values = (m: ReturnType<typeof metrics>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { value: v.value, unit: v.unit, quality: v.quality }]));
    expect(values(metrics(mg))).toEqual(values(metrics(ug)));
    expect(metrics(mg)).toMatchObject({ so2: { value: 12, unit: 'ug/m3', receivedUnit: 'mg/m3' }, pm25: { value: 75, receivedUnit: 'mg/m3' }, co: { value: 1.3, unit: 'mg/m3' } });
    expect(metrics(mg).co!.receivedUnit).toBeUndefined();
    // µg/m³ spelled the Unicode way is the canonical unit: nothing to record
    expect(metrics(ug).so2).toEqual({ value: 12, unit: 'ug/m3', quality: 'N' });
    const parsed = ReadingSchema.parse((mg as { ok: true; readings: unknown[] } & typeof mg).ok ? (mg as { readings: unknown[] }).readings[0] : undefined);
    expect(parsed.metrics.so2!.receivedUnit).toBe('mg/m3');
  });

  it('lets a device override one unit of its model (NO2 in ppb at 25 °C, 1013.25 hPa)', () => {
    const m = metrics(send('aq-mg-but-ppb-no2', { a21004: { Rtd: '50' }, a21026: { Rtd: '0.02' } }));
    expect(m.no2).toMatchObject({ unit: 'ug/m3', quality: 'N', receivedUnit: 'ppb' });
    expect(m.no2!.value).toBeCloseTo((50 * 46.0055) / 24.465, 9);
    expect(m.so2).toMatchObject({ value: 20, receivedUnit: 'mg/m3' });
  });

  it('refuses a model of another kind and an unknown model when the registry loads', () => {
    expect(() => parseRegistry({ models: [{ id: 'm', kind: 'river_gauge' }], devices: [{ id: 'a', kind: 'air_monitor', model: 'm', secret: SECRET }] })).toThrow(/devices\.0\.model: model "m" is for river_gauge/);
    expect(() => parseRegistry({ devices: [{ id: 'a', kind: 'air_monitor', model: 'nope', secret: SECRET }] })).toThrow(/unknown model "nope"/);
  });

  it('applies declared units to JSON telemetry too, before the range checks', () => {
    const d = device('air_monitor', { units: { so2: 'mg/m3', co: 'ug/m3' } });
    const result = normalize(envelope('air_monitor', JSON.stringify({ so2: 0.5, co: 800, pm25: 30 })), d);
    expect(metrics(result)).toEqual({
      so2: { value: 500, unit: 'ug/m3', quality: 'N', receivedUnit: 'mg/m3' },
      co: { value: 0.8, unit: 'mg/m3', quality: 'N', receivedUnit: 'ug/m3' },
      pm25: { value: 30, unit: 'ug/m3', quality: 'N' },
    });
    expect(failure(normalize(envelope('air_monitor', JSON.stringify({ so2: 6 })), d)).code).toBe('GANZHI_ERR_NORM_OUT_OF_RANGE');
  });
});

describe('default units (domain README §1.7)', () => {
  it('reads an ambient air monitor (ST 22) in ug/m3 (CO mg/m3) without a model', () => {
    expect(metrics(normalize(hj(frame({ a21026: { Rtd: 12 }, a21005: { Rtd: 0.8 } })), air()))).toEqual({
      so2: { value: 12, unit: 'ug/m3', quality: 'N' },
      co: { value: 0.8, unit: 'mg/m3', quality: 'N' },
    });
  });

  it("uses the standard's mg/m3 for SO2 on other system types (construction dust, ST 39)", () => {
    expect(metrics(normalize(hj(frame({ a21026: { Rtd: 0.012 } }, { ST: '39' })), air()))).toEqual({ so2: { value: 12, unit: 'ug/m3', quality: 'N', receivedUnit: 'mg/m3' } });
  });

  it('dead-letters PM from a non-ambient system type without a declared unit (the standard prints ng/m3)', () => {
    const f = failure(normalize(hj(frame({ a34002: { Rtd: 0.15 } }, { ST: '39' })), air()));
    expect(f.code).toBe('GANZHI_ERR_NORM_UNIT');
    expect(f.reason).toMatch(/a34002-Rtd: no default unit for ST 39 .*prints ng\/m3.*declare it on the device model/);
  });

  it('has a code table with a clause for every entry', () => {
    for (const [code, spec] of HJ212_CODES) expect(spec.clause, code).toMatch(/HJ|domain|vendor/);
  });
});

describe('unit conversion and refusal', () => {
  it.each([
    ['so2', 1, 'mg/m3', 'ug/m3', 1000],
    ['pm25', 75000, 'ng/m3', 'ug/m3', 75],
    ['co', 800, 'ug/m3', 'mg/m3', 0.8],
    ['co', 1, 'ppm', 'mg/m3', 28.0101 / 24.465],
    ['o3', 100, 'ppb', 'ug/m3', (100 * 47.997) / 24.465],
    ['temperature', 300, 'K', 'degC', 26.85],
    ['hydrantPressure', 350, 'kPa', 'MPa', 0.35],
  ])('%s: %s %s = %s %s', (metric, v, from, to, expected) => {
    expect(convertUnit(metric, v, from, to)).toBeCloseTo(expected, 9);
  });

  it.each([
    ['pm25', 'ppb', 'ug/m3'],
    ['temperature', 'mg/m3', 'degC'],
    ['so2', 'degC', 'ug/m3'],
  ])('has no conversion for %s from %s to %s', (metric, from, to) => {
    expect(convertUnit(metric, 1, from, to)).toBeUndefined();
  });

  it('knows the spellings devices use', () => {
    expect(['µg/m³', 'μg/m3', 'UG/M3'].map(unitName)).toEqual(['ug/m3', 'ug/m3', 'ug/m3']);
    expect(['℃', '°C', 'degC'].map(unitName)).toEqual(['degC', 'degC', 'degC']);
    expect(unitName('furlongs')).toBeUndefined();
    expect(unitName('toString')).toBeUndefined();
    expect(unitName('__proto__')).toBeUndefined();
  });

  it('dead-letters a unit it cannot convert, naming both units', () => {
    const f = failure(normalize(hj(frame({ a34004: { Rtd: 35 } })), air({ units: { a34004: 'ppb' } })));
    expect(f).toMatchObject({ code: 'GANZHI_ERR_NORM_UNIT', reason: 'a34004-Rtd: cannot convert ppb to ug/m3 for pm25' });
    const g = failure(normalize(hj(frame({ a34004: { Rtd: 35 } })), air({ units: { pm25: 'grains' } })));
    expect(g).toMatchObject({ code: 'GANZHI_ERR_NORM_UNIT' });
    expect(g.reason).toMatch(/unit "grains" is not a known unit/);
  });
});

describe('ST against the device kind (HJ 212-2017 table 5)', () => {
  it('refuses surface-water source data (ST 32) on an air monitor', () => {
    const f = failure(normalize(hj(frame({ a21026: { Rtd: 12 } }, { ST: '32' })), air()));
    expect(f.code).toBe('GANZHI_ERR_NORM_UNSUPPORTED');
    expect(f.reason).toMatch(/ST "32" \(surface-water pollution source\) is not a system type of air_monitor/);
  });

  it('accepts what the device attribute st lists', () => {
    expect(metrics(normalize(hj(frame({ a21005: { Rtd: 1 } }, { ST: '31' })), air({ attributes: { st: '22,31' } })))).toHaveProperty('co');
  });
});

describe('malformed numbers and device-supplied codes', () => {
  it('refuses a decimal comma with a reason', () => {
    const f = failure(normalize(hj(rawCp('DataTime=20240601120000;a34004-Rtd=1,5,a34004-Flag=N')), air()));
    expect(f.code).toBe('GANZHI_ERR_NORM_SCHEMA');
    expect(f.reason).toBe('a34004-Rtd: "1,5" has a decimal comma; HJ 212 numbers use "." (§6.3.3: "," separates values)');
  });

  it.each([['1.2.3'], ['0x1F'], ['1e'], ['--1'], ['１２'], ['1_000'], [''], ['12abc'], ['.'], ['+']])('refuses %j as a number', (text) => {
    const f = failure(normalize(hj(rawCp(`DataTime=20240601120000;a34004-Rtd=${text}`)), air()));
    expect(f.code).toBe('GANZHI_ERR_NORM_SCHEMA');
    expect(f.reason).toMatch(/^a34004-Rtd: expected number, got /);
  });

  it.each([['NaN'], ['inf'], ['-Infinity'], ['1e999']])('refuses %j as not finite', (text) => {
    expect(failure(normalize(hj(rawCp(`DataTime=20240601120000;a34004-Rtd=${text}`)), air())).code).toBe('GANZHI_ERR_NORM_NOT_FINITE');
  });

  it.each([['toString'], ['constructor'], ['__proto__'], ['valueOf'], ['hasOwnProperty']])('ignores %s as a factor code, without throwing', (code) => {
    const result = normalize(hj(rawCp(`DataTime=20240601120000;${code}-Rtd=1;a34004-Rtd=35`)), air());
    expect(metrics(result)).toEqual({ pm25: { value: 35, unit: 'ug/m3', quality: 'N' } });
    const only = failure(normalize(hj(rawCp(`DataTime=20240601120000;${code}-Rtd=1,${code}-Flag=N`)), air()));
    expect(only.code).toBe('GANZHI_ERR_NORM_UNSUPPORTED');
  });

  it.each([['toString'], ['constructor'], ['__proto__'], ['valueOf'], ['hasOwnProperty']])('does not take CN=%s for a data command', (cn) => {
    const f = failure(normalize(hj(rawCp('DataTime=20240601120000;a34004-Rtd=35', { CN: cn })), air()));
    expect(f.code).toBe('GANZHI_ERR_NORM_UNSUPPORTED');
    expect(f.reason).toMatch(/carries no readings/);
  });

  it.each([['toString'], ['__proto__']])('does not take a unit declared as %s for a code', (key) => {
    const d = air({ units: JSON.parse(`{"${key}": "mg/m3"}`) as Record<string, string> });
    expect(metrics(normalize(hj(rawCp(`DataTime=20240601120000;${key}-Rtd=1;a21026-Rtd=12`)), d))).toEqual({ so2: { value: 12, unit: 'ug/m3', quality: 'N' } });
  });
});
