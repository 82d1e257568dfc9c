import { describe, expect, it } from 'vitest';
import { ReadingSchema, type ErrorCode } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import { normalize } from './normalize';
import { encodeHj212, type Hj212FrameInput } from './hj212-encode';
import { HJ212_VECTORS, RECEIVED_AT, device, envelope } from './__vectors__/fixtures';

const air = (over: Partial<Device> = {}) => device('air_monitor', { format: 'hj212', ...over });
const hj = (payload: string, encoding: 'utf8' | 'base64' = 'utf8') => envelope('air_monitor', payload, { format: 'hj212', encoding });
const vector = (id: string) => HJ212_VECTORS.find((v) => v.id === id)!.frame;
const frame = (over: Partial<Hj212FrameInput> = {}) =>
  encodeHj212({
    QN: '20240601120005123',
    ST: '22',
    CN: '2011',
    PW: '123456',
    MN: 'AQ-01',
    Flag: 4,
    cp: {
      fields: { DataTime: '20240601120000' },
      pollutants: {
        a34004: { Rtd: 35, Flag: 'N' },
        a34002: { Rtd: 60, Flag: 'N' },
        a21026: { Rtd: 8, Flag: 'N' },
        a21004: { Rtd: 30, Flag: 'N' },
        a21005: { Rtd: 0.8, Flag: 'N' },
        a05024: { Rtd: 120, Flag: 'N' },
      },
    },
    ...over,
  });

/** 2024-06-01 12:00:00 China time. */
const DATA_TIME = Date.UTC(2024, 5, 1, 4, 0, 0);

function failure(result: ReturnType<typeof normalize>): { code: ErrorCode; reason: string } {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.readings)}`);
  return result;
}

describe('normalize() on HJ 212 air-monitor frames', () => {
  it('maps the six AQI pollutants of a real-time upload to metrics at DataTime (China time)', () => {
    const result = normalize(hj(frame()), air());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [r] = result.readings;
    expect(ReadingSchema.parse(r)).toEqual(r);
    expect(r).toMatchObject({ deviceId: 'dev-1', kind: 'air_monitor', site: 'site-a', ts: DATA_TIME, sourceId: 'env-1', receivedAt: RECEIVED_AT, states: { interval: 'realtime' } });
    expect(r!.metrics).toEqual({
      pm25: { value: 35, unit: 'ug/m3', quality: 'N' },
      pm10: { value: 60, unit: 'ug/m3', quality: 'N' },
      so2: { value: 8, unit: 'ug/m3', quality: 'N' },
      no2: { value: 30, unit: 'ug/m3', quality: 'N' },
      co: { value: 0.8, unit: 'mg/m3', quality: 'N' },
      o3: { value: 120, unit: 'ug/m3', quality: 'N' },
    });
  });

  it('takes -Avg for hourly data (CN 2061) as the 1-hour mean (pm25_1h, period hour, ts = start of the hour)', () => {
    const result = normalize(hj(frame({ CN: '2061', cp: { fields: { DataTime: '20240601110000' }, pollutants: { a34004: { Min: 20, Avg: 41.5, Max: 60, Flag: 'N' } } } })), air());
    expect(result.ok && result.readings[0]).toMatchObject({ ts: DATA_TIME - 3_600_000, period: 'hour', metrics: { pm25_1h: { value: 41.5 } }, states: { interval: 'hour' } });
  });

  it('takes daily data (CN 2031) as the natural-day mean (co_day, period day)', () => {
    const result = normalize(hj(frame({ CN: '2031', cp: { fields: { DataTime: '20240601000000' }, pollutants: { a21005: { Avg: 1.1 } } } })), air());
    expect(result.ok && result.readings[0]).toMatchObject({ period: 'day', metrics: { co_day: { value: 1.1, unit: 'mg/m3' } } });
  });

  it.each([
    ['2051', 'minute'],
    ['2031', 'day'],
  ])('reads CN %s as %s data', (cn, interval) => {
    const result = normalize(hj(frame({ CN: cn, cp: { fields: { DataTime: '20240601000000' }, pollutants: { a21005: { Avg: 1.1 } } } })), air());
    expect(result.ok && result.readings[0]!.states).toEqual({ interval });
  });

  it('maps vendor codes (TEMP, HUMI, PM25) from the CRC-16/ARC device when the device is set to arc', () => {
    const result = normalize(hj(vector('findstr-arc-8ef7')), air({ attributes: { crc: 'arc' } }));
    expect(result.ok && result.readings[0]!.metrics).toEqual({
      temperature: { value: 22, unit: 'degC', quality: 'N' },
      humidity: { value: 43.5, unit: '%', quality: 'N' },
      pm25: { value: 2, unit: 'ug/m3', quality: 'N' },
    });
  });

  it('maps a01001/a01002 to temperature and humidity (vector findstr-9301, no CR LF)', () => {
    const result = normalize(hj(vector('findstr-9301')), air());
    expect(result.ok && result.readings[0]!.metrics).toEqual({ temperature: { value: 22.9, unit: 'degC', quality: 'N' }, humidity: { value: 85.8, unit: '%', quality: 'N' } });
  });

  it('rejects a CRC made with another algorithm and names the one that verifies', () => {
    const f = failure(normalize(hj(vector('findstr-arc-8ef7')), air()));
    expect(f.code).toBe('GANZHI_ERR_NORM_BAD_CRC');
    expect(f.reason).toMatch(/verifies as "arc"/);
  });

  it('rejects a hand-edited frame whose CRC matches nothing (vector guocay-2)', () => {
    const f = failure(normalize(hj(vector('guocay-2')), air()));
    expect(f.code).toBe('GANZHI_ERR_NORM_BAD_CRC');
    expect(f.reason).toMatch(/no known variant/);
  });

  it("accepts any CRC when the device's crc attribute is 'none'", () => {
    // ST 32 is not ambient air: the model declares the ug/m3 its values are plainly in
    const units = { a21026: 'ug/m3', a21004: 'ug/m3', O3: 'ug/m3', a34002: 'ug/m3', a34004: 'ug/m3' };
    const result = normalize(hj(vector('guocay-2')), air({ attributes: { crc: 'none', st: '32' }, units }));
    expect(result.ok && Object.keys(result.readings[0]!.metrics).sort()).toEqual(['co', 'no2', 'o3', 'pm10', 'pm25', 'so2']);
  });

  it('passes a Modbus-LE flue-gas frame (ST 31) through the CRC check to the ST check (vector rxlog-3)', () => {
    const f = failure(normalize(hj(vector('rxlog-3')), air({ attributes: { crc: 'modbus-le' } })));
    expect(f.code).toBe('GANZHI_ERR_NORM_UNSUPPORTED');
    expect(f.reason).toMatch(/ST "31" \(air pollution source\) is not a system type of air_monitor/);
  });

  it('maps nothing from a flue-gas frame of 2005 numeric codes once its ST is accepted (vector rxlog-3)', () => {
    const f = failure(normalize(hj(vector('rxlog-3')), air({ attributes: { crc: 'modbus-le', st: '31' } })));
    expect(f.code).toBe('GANZHI_ERR_NORM_UNSUPPORTED');
    expect(f.reason).toMatch(/no supported factor code/);
  });

  it('rejects an unknown crc attribute as unsupported', () => {
    expect(failure(normalize(hj(frame()), air({ attributes: { crc: 'crc32' } }))).code).toBe('GANZHI_ERR_NORM_UNSUPPORTED');
  });

  it.each([
    ['the heartbeat 9015', '9015', /heartbeat/],
    ['a request answer 9011', '9011', /request answer/],
    ['a set-interval command 1062', '1062', /CN "1062"/],
  ])('reports %s as unsupported', (_name, cn, reason) => {
    const f = failure(normalize(hj(frame({ CN: cn, cp: '' })), air()));
    expect(f.code).toBe('GANZHI_ERR_NORM_UNSUPPORTED');
    expect(f.reason).toMatch(reason);
  });

  it('falls back to QN when there is no DataTime, and to receivedAt for 2005-style frames', () => {
    const withQn = normalize(hj(frame({ cp: 'a34004-Rtd=10' })), air());
    expect(withQn.ok && withQn.readings[0]!.ts).toBe(Date.UTC(2024, 5, 1, 4, 0, 5, 123));
    const legacy = normalize(hj(encodeHj212({ ST: '22', CN: '2011', PW: '123456', MN: 'AQ-01', cp: 'a34004-Rtd=10;' })), air());
    expect(legacy.ok && legacy.readings[0]!.ts).toBe(RECEIVED_AT);
  });

  it('rejects a malformed DataTime as a bad frame', () => {
    expect(failure(normalize(hj(frame({ cp: 'DataTime=20241301120000;a34004-Rtd=10' })), air())).code).toBe('GANZHI_ERR_NORM_BAD_FRAME');
  });

  it('maps -Flag to quality: known letters, lower case, unknown as D', () => {
    const result = normalize(hj(frame({ cp: 'DataTime=20240601120000;a34004-Rtd=1,a34004-Flag=M;a34002-Rtd=2,a34002-Flag=n;a21026-Rtd=3,a21026-Flag=H' })), air());
    expect(result.ok && result.readings[0]!.metrics).toMatchObject({ pm25: { quality: 'M' }, pm10: { quality: 'N' }, so2: { quality: 'D' } });
  });

  it.each([
    ['a non-numeric value', 'a34004-Rtd=abc', 'GANZHI_ERR_NORM_SCHEMA', /^a34004-Rtd: expected number, got "abc"$/],
    ['NaN', 'a34004-Rtd=NaN', 'GANZHI_ERR_NORM_NOT_FINITE', /^a34004-Rtd:/],
    ['a PM2.5 above 5000', 'a34004-Rtd=9999', 'GANZHI_ERR_NORM_OUT_OF_RANGE', /^pm25 \(a34004-Rtd\): 9999 outside 0\.\.5000 ug\/m3$/],
  ] as const)('fails on %s with a reason naming the code', (_name, cp, code, reason) => {
    const f = failure(normalize(hj(frame({ cp: `DataTime=20240601120000;${cp}` })), air()));
    expect(f.code).toBe(code);
    expect(f.reason).toMatch(reason);
  });

  it('ignores unmapped codes with odd values when a mapped code is present', () => {
    const result = normalize(hj(frame({ cp: 'DataTime=20240601120000;x99-Rtd=abc;a34004-Rtd=5' })), air());
    expect(result.ok && result.readings[0]!.metrics.pm25!.value).toBe(5);
  });

  it('rejects a frame whose declared length is wrong', () => {
    const good = frame();
    expect(failure(normalize(hj(`##0100${good.slice(6)}`), air())).code).toBe('GANZHI_ERR_NORM_BAD_FRAME');
  });

  it('checks MN against the registered attribute mn', () => {
    expect(normalize(hj(frame()), air({ attributes: { mn: 'AQ-01' } })).ok).toBe(true);
    expect(failure(normalize(hj(frame()), air({ attributes: { mn: 'AQ-02' } }))).code).toBe('GANZHI_ERR_NORM_UNKNOWN_DEVICE');
  });

  it('maps HJ 212 data for air monitors only', () => {
    const f = failure(normalize(envelope('river_gauge', frame(), { format: 'hj212' }), device('river_gauge', { format: 'hj212' })));
    expect(f.code).toBe('GANZHI_ERR_NORM_UNSUPPORTED');
  });

  it('accepts the frame base64-encoded', () => {
    expect(normalize(hj(Buffer.from(frame()).toString('base64'), 'base64'), air()).ok).toBe(true);
  });

  it('makes one reading per frame when frames come back to back', () => {
    const two = frame() + frame({ cp: { fields: { DataTime: '20240601120100' }, pollutants: { a34004: { Rtd: 36 } } } });
    const result = normalize(hj(two), air());
    expect(result.ok && result.readings.map((r) => r.ts)).toEqual([DATA_TIME, DATA_TIME + 60_000]);
  });

  it('rejects a payload that is not an HJ 212 frame', () => {
    expect(failure(normalize(hj('{"pm25": 3}'), air())).code).toBe('GANZHI_ERR_NORM_BAD_FRAME');
  });
});
