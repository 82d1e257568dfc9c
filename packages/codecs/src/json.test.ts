import { describe, expect, it } from 'vitest';
import { ReadingSchema, type DeviceKind, type ErrorCode, type Reading } from '@ganzhi/schemas';
import { normalize } from './normalize';
import { RECEIVED_AT, device, envelope } from './__vectors__/fixtures';

interface Case {
  name: string;
  kind: DeviceKind;
  input: unknown;
  expect: { metrics?: Reading['metrics']; states?: Reading['states']; ts?: number } | { code: ErrorCode; reason?: RegExp };
}

const TS = Date.UTC(2024, 5, 1, 12, 0, 0);
const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

const cases: Case[] = [
  // river_gauge
  {
    name: 'a river gauge reports water level, rainfall and battery with their units',
    kind: 'river_gauge',
    input: { ts: TS, waterLevel: 3.42, rainfall: 1.5, batteryV: 12.6 },
    expect: {
      ts: TS,
      metrics: {
        waterLevel: { value: 3.42, unit: 'm', quality: 'N' },
        rainfall: { value: 1.5, unit: 'mm', quality: 'N' },
        batteryV: { value: 12.6, unit: 'V', quality: 'N' },
      },
    },
  },
  {
    name: 'a per-metric quality flag is carried and other metrics default to N',
    kind: 'river_gauge',
    input: { waterLevel: 3.4, rain1h: 0, quality: { waterLevel: 'M' } },
    expect: { metrics: { waterLevel: { value: 3.4, unit: 'm', quality: 'M' }, rain1h: { value: 0, unit: 'mm', quality: 'N' } } },
  },
  {
    name: 'unknown extra fields are dropped and null means no value',
    kind: 'river_gauge',
    input: { waterLevel: 1, flow: null, firmware: '1.2.3', seq: 7 },
    expect: { metrics: { waterLevel: { value: 1, unit: 'm', quality: 'N' } } },
  },
  { name: 'a numeric string is a schema error naming the field', kind: 'river_gauge', input: { waterLevel: '1.2' }, expect: { code: 'GANZHI_ERR_NORM_SCHEMA', reason: /^waterLevel: expected number, got string/ } },
  { name: '"NaN" as a string is a not-finite error', kind: 'river_gauge', input: { waterLevel: 'NaN' }, expect: { code: 'GANZHI_ERR_NORM_NOT_FINITE', reason: /^waterLevel:/ } },
  { name: 'an overflowing number (1e999 -> Infinity) is a not-finite error', kind: 'river_gauge', input: '{"waterLevel": 1e999}', expect: { code: 'GANZHI_ERR_NORM_NOT_FINITE', reason: /^waterLevel:/ } },
  { name: 'negative rainfall is out of range and the reason gives value and range', kind: 'river_gauge', input: { rainfall: -3 }, expect: { code: 'GANZHI_ERR_NORM_OUT_OF_RANGE', reason: /^rainfall: -3 outside 0\.\.500 mm$/ } },
  { name: 'a payload with no metric is a schema error', kind: 'river_gauge', input: { ts: TS, seq: 1 }, expect: { code: 'GANZHI_ERR_NORM_SCHEMA', reason: /no metric/ } },
  { name: 'a JSON array is a schema error', kind: 'river_gauge', input: [1, 2], expect: { code: 'GANZHI_ERR_NORM_SCHEMA', reason: /^payload: expected object, got array/ } },
  { name: 'text that is not JSON is a not-JSON error', kind: 'river_gauge', input: 'waterLevel=3', expect: { code: 'GANZHI_ERR_NORM_NOT_JSON' } },
  { name: 'an unknown quality letter is a schema error', kind: 'river_gauge', input: { waterLevel: 1, quality: { waterLevel: 'X' } }, expect: { code: 'GANZHI_ERR_NORM_SCHEMA', reason: /^quality\.waterLevel:/ } },
  // ts forms
  { name: 'a missing ts uses the gateway receivedAt', kind: 'river_gauge', input: { waterLevel: 1 }, expect: { ts: RECEIVED_AT } },
  { name: 'an ISO 8601 ts with a zone is accepted', kind: 'river_gauge', input: { waterLevel: 1, ts: '2024-06-01T20:00:00+08:00' }, expect: { ts: TS } },
  { name: 'an ISO ts without a zone is a schema error (it would depend on the host zone)', kind: 'river_gauge', input: { waterLevel: 1, ts: '2024-06-01T12:00:00' }, expect: { code: 'GANZHI_ERR_NORM_SCHEMA', reason: /^ts:/ } },
  { name: 'a ts in seconds is out of range', kind: 'river_gauge', input: { waterLevel: 1, ts: 1_717_243_200 }, expect: { code: 'GANZHI_ERR_NORM_OUT_OF_RANGE', reason: /^ts .*before 2000/ } },
  { name: 'a ts more than a day ahead of receivedAt is out of range', kind: 'river_gauge', input: { waterLevel: 1, ts: RECEIVED_AT + 2 * 86_400_000 }, expect: { code: 'GANZHI_ERR_NORM_OUT_OF_RANGE' } },
  { name: 'a ts beyond what a Date can hold is out of range, not a crash', kind: 'river_gauge', input: { waterLevel: 1, ts: 1e300 }, expect: { code: 'GANZHI_ERR_NORM_OUT_OF_RANGE' } },
  { name: 'a boolean ts is a schema error', kind: 'river_gauge', input: { waterLevel: 1, ts: true }, expect: { code: 'GANZHI_ERR_NORM_SCHEMA', reason: /^ts: expected epoch/ } },
  // air_monitor
  {
    name: 'an air monitor reports the six pollutants with their units',
    kind: 'air_monitor',
    input: { pm25: 35, pm10: 60, so2: 8, no2: 30, o3: 120, co: 0.8, temperature: 21.5, humidity: 55 },
    expect: {
      metrics: {
        pm25: { value: 35, unit: 'ug/m3', quality: 'N' },
        pm10: { value: 60, unit: 'ug/m3', quality: 'N' },
        so2: { value: 8, unit: 'ug/m3', quality: 'N' },
        no2: { value: 30, unit: 'ug/m3', quality: 'N' },
        o3: { value: 120, unit: 'ug/m3', quality: 'N' },
        co: { value: 0.8, unit: 'mg/m3', quality: 'N' },
        temperature: { value: 21.5, unit: 'degC', quality: 'N' },
        humidity: { value: 55, unit: '%', quality: 'N' },
      },
    },
  },
  { name: 'an AQI sent by the device is ignored, not taken as a metric', kind: 'air_monitor', input: { pm25: 80, aqi: 107 }, expect: { metrics: { pm25: { value: 80, unit: 'ug/m3', quality: 'N' } } } },
  { name: 'an air payload with only an AQI has no metric', kind: 'air_monitor', input: { aqi: 107 }, expect: { code: 'GANZHI_ERR_NORM_SCHEMA' } },
  { name: 'CO above 200 mg/m3 is out of range', kind: 'air_monitor', input: { co: 250 }, expect: { code: 'GANZHI_ERR_NORM_OUT_OF_RANGE', reason: /^co: 250 outside 0\.\.200 mg\/m3$/ } },
  { name: 'a pm25 given as a boolean is a schema error', kind: 'air_monitor', input: { pm25: true }, expect: { code: 'GANZHI_ERR_NORM_SCHEMA', reason: /^pm25: expected number, got boolean$/ } },
  { name: '"Infinity" for o3 is a not-finite error', kind: 'air_monitor', input: { o3: '-Infinity' }, expect: { code: 'GANZHI_ERR_NORM_NOT_FINITE' } },
  // fire_sensor
  {
    name: 'a boolean smoke alarm becomes the 0/1 metric smokeAlarm and sensorType a state',
    kind: 'fire_sensor',
    input: { smoke: true, battery: 88, sensorType: 'smoke' },
    expect: {
      metrics: { smokeAlarm: { value: 1, unit: 'bool', quality: 'N' }, battery: { value: 88, unit: '%', quality: 'N' } },
      states: { sensorType: 'smoke' },
    },
  },
  { name: 'a numeric smoke value is obscuration in %/m', kind: 'fire_sensor', input: { smoke: 2.5 }, expect: { metrics: { smoke: { value: 2.5, unit: '%/m', quality: 'N' } } } },
  { name: 'heat is an alias of temperature', kind: 'fire_sensor', input: { heat: 68 }, expect: { metrics: { temperature: { value: 68, unit: 'degC', quality: 'N' } } } },
  {
    name: 'electrical-fire and water-pressure metrics carry mA, degC and MPa',
    kind: 'fire_sensor',
    input: { residualCurrent: 320, cableTemperature: 75, hydrantPressure: 0.12, sprinklerPressure: 0.3 },
    expect: {
      metrics: {
        residualCurrent: { value: 320, unit: 'mA', quality: 'N' },
        cableTemperature: { value: 75, unit: 'degC', quality: 'N' },
        hydrantPressure: { value: 0.12, unit: 'MPa', quality: 'N' },
        sprinklerPressure: { value: 0.3, unit: 'MPa', quality: 'N' },
      },
    },
  },
  { name: 'hydrant pressure above 5 MPa is out of range', kind: 'fire_sensor', input: { hydrantPressure: 12 }, expect: { code: 'GANZHI_ERR_NORM_OUT_OF_RANGE', reason: /^hydrantPressure: 12 outside 0\.\.5 MPa$/ } },
  { name: 'smoke given as a string is a schema error', kind: 'fire_sensor', input: { smoke: 'yes' }, expect: { code: 'GANZHI_ERR_NORM_SCHEMA', reason: /^smoke: expected number or boolean, got string/ } },
  { name: 'smoke "NaN" is a not-finite error', kind: 'fire_sensor', input: { smoke: 'nan' }, expect: { code: 'GANZHI_ERR_NORM_NOT_FINITE' } },
  { name: 'a sensorType alone is not a metric', kind: 'fire_sensor', input: { sensorType: 'heat' }, expect: { code: 'GANZHI_ERR_NORM_SCHEMA', reason: /no metric/ } },
  // port_device
  {
    name: 'a crane reports wind and its state',
    kind: 'port_device',
    input: { windSpeed: 14.2, windGust: 21.0, windDirection: 135, craneState: 'operating' },
    expect: {
      metrics: {
        windSpeed: { value: 14.2, unit: 'm/s', quality: 'N' },
        windGust: { value: 21, unit: 'm/s', quality: 'N' },
        windDirection: { value: 135, unit: 'deg', quality: 'N' },
      },
      states: { craneState: 'operating' },
    },
  },
  { name: 'a state alone is enough for a reading', kind: 'port_device', input: { craneState: 'parked' }, expect: { metrics: {}, states: { craneState: 'parked' } } },
  {
    name: 'a reefer reports temperatures and power as a boolean state',
    kind: 'port_device',
    input: { reeferSupplyTemp: -18.5, reeferReturnTemp: -16, reeferSetpoint: -18, reeferPower: false },
    expect: {
      metrics: {
        reeferSupplyTemp: { value: -18.5, unit: 'degC', quality: 'N' },
        reeferReturnTemp: { value: -16, unit: 'degC', quality: 'N' },
        reeferSetpoint: { value: -18, unit: 'degC', quality: 'N' },
      },
      states: { reeferPower: false },
    },
  },
  { name: 'an unknown crane state is a schema error listing the allowed ones', kind: 'port_device', input: { craneState: 'running' }, expect: { code: 'GANZHI_ERR_NORM_SCHEMA', reason: /^craneState: expected one of operating\|idle\|parked\|stowed, got string "running"$/ } },
  { name: 'a wind direction of 400 degrees is out of range', kind: 'port_device', input: { windDirection: 400 }, expect: { code: 'GANZHI_ERR_NORM_OUT_OF_RANGE', reason: /^windDirection: 400 outside 0\.\.360 deg$/ } },
  { name: 'reeferPower as a number is a schema error', kind: 'port_device', input: { reeferPower: 1 }, expect: { code: 'GANZHI_ERR_NORM_SCHEMA', reason: /^reeferPower: expected boolean, got number 1$/ } },
];

describe('normalize() on JSON telemetry', () => {
  it.each(cases)('$kind: $name', ({ kind, input, expect: want }) => {
    const result = normalize(envelope(kind, text(input)), device(kind));
    if ('code' in want) {
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.code).toBe(want.code);
      if (want.reason) expect(result.reason).toMatch(want.reason);
      return;
    }
    expect(result.ok, JSON.stringify(result)).toBe(true);
    if (!result.ok) return;
    expect(result.readings).toHaveLength(1);
    const r = result.readings[0]!;
    expect(ReadingSchema.parse(r)).toEqual(r);
    expect(r).toMatchObject({ deviceId: 'dev-1', kind, site: 'site-a', sourceId: 'env-1', receivedAt: RECEIVED_AT });
    if (want.metrics) expect(r.metrics).toEqual(want.metrics);
    if (want.states) expect(r.states).toEqual(want.states);
    else expect(r.states).toBeUndefined();
    if (want.ts !== undefined) expect(r.ts).toBe(want.ts);
  });

  it('decodes a base64-encoded JSON payload', () => {
    const payload = Buffer.from(JSON.stringify({ waterLevel: 2 })).toString('base64');
    const result = normalize(envelope('river_gauge', payload, { encoding: 'base64' }), device('river_gauge'));
    expect(result.ok && result.readings[0]!.metrics.waterLevel!.value).toBe(2);
  });

  it('leaves site out of the reading when the device has none', () => {
    const result = normalize(envelope('river_gauge', '{"waterLevel":2}'), device('river_gauge', { site: undefined }));
    expect(result.ok && 'site' in result.readings[0]!).toBe(false);
  });
});
