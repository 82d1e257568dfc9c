import { describe, expect, it } from 'vitest';
import { ReadingSchema, type ErrorCode } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import { normalize } from './normalize';
import { encodeSl651, type Sl651UpFrameInput } from './sl651-encode';
import { RECEIVED_AT, SL651_VECTORS, device, envelope } from './__vectors__/fixtures';

const gauge = (over: Partial<Device> = {}) => device('river_gauge', { format: 'sl651', ...over });
const hexEnv = (hex: string) => envelope('river_gauge', hex, { format: 'sl651' });
const binEnv = (bytes: Uint8Array) => envelope('river_gauge', Buffer.from(bytes).toString('base64'), { format: 'sl651', encoding: 'base64' });
const vector = (id: string) => SL651_VECTORS.find((v) => v.id === id)!.frame;
const HOURLY_34 =
  '7E7E05001122334403E8340068020033170718110014F1F1001122334448F0F01707181005F4600500000014FFFFFFFFFF0000F0F017071811002619000040F0F01707181005F5C0000C000C001C00310031FFFFFFFFFFFFFFFFFFFF00310031F0F0170718110039230001049020190000403812109903F502';

/** China time to epoch ms. */
const cst = (y: number, mo: number, d: number, h: number, mi: number, s = 0) => Date.UTC(y, mo - 1, d, h - 8, mi, s);

function failure(result: ReturnType<typeof normalize>): { code: ErrorCode; reason: string } {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.readings)}`);
  return result;
}

const report = (over: Partial<Sl651UpFrameInput> = {}): Sl651UpFrameInput => ({
  centre: 1,
  station: '0012345678',
  password: '1234',
  funcCode: 0x32,
  serial: 1,
  sendTime: cst(2024, 6, 1, 11, 0, 30),
  groups: [{ obsTime: cst(2024, 6, 1, 11, 0), elements: [{ id: 'Z', value: 3.21 }, { id: 'PJ', value: 12.5 }, { id: 'VT', value: 12.6 }] }],
  ...over,
});

describe('normalize() on SL 651 frames', () => {
  it('maps an add report (vector yx-33-add) to one river-gauge reading at the observation time', () => {
    const result = normalize(hexEnv(vector('yx-33-add')), gauge());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.readings).toHaveLength(1);
    const r = result.readings[0]!;
    expect(ReadingSchema.parse(r)).toEqual(r);
    expect(r).toMatchObject({ deviceId: 'dev-1', kind: 'river_gauge', site: 'site-a', ts: cst(2017, 7, 18, 10, 22), sourceId: 'env-1', receivedAt: RECEIVED_AT });
    expect(r.metrics).toEqual({
      rainToday: { value: 4, unit: 'mm', quality: 'N' },
      rainTotal: { value: 4, unit: 'mm', quality: 'N' },
      waterLevel: { value: 10.49, unit: 'm', quality: 'N' },
      batteryV: { value: 11.02, unit: 'V', quality: 'N' },
    });
    expect(r.states).toBeUndefined();
  });

  it('skips elements it does not map (PN05 in vector shaoyi-32)', () => {
    const result = normalize(hexEnv(vector('shaoyi-32')), gauge());
    expect(result.ok && result.readings[0]!.metrics).toEqual({
      rainToday: { value: 13, unit: 'mm', quality: 'N' },
      waterLevel: { value: 0.55, unit: 'm', quality: 'N' },
      batteryV: { value: 12.68, unit: 'V', quality: 'N' },
    });
  });

  it('merges the groups of an hourly report that share an observation time', () => {
    const result = normalize(hexEnv(HOURLY_34), gauge());
    expect(result.ok && result.readings.map((r) => [r.ts, Object.keys(r.metrics)])).toEqual([[cst(2017, 7, 18, 11, 0), ['rainTotal', 'waterLevel', 'rainToday', 'batteryV']]]);
  });

  it('makes one reading per observation time', () => {
    const t0 = cst(2024, 6, 1, 10, 0);
    const t1 = cst(2024, 6, 1, 11, 0);
    const bytes = encodeSl651(report({ funcCode: 0x34, groups: [{ obsTime: t0, elements: [{ id: 'Z', value: 3.1 }] }, { obsTime: t1, elements: [{ id: 'Z', value: 3.3 }, { id: 'P1', value: 2.5 }] }] }));
    const result = normalize(binEnv(bytes), gauge());
    expect(result.ok && result.readings.map((r) => [r.ts, r.metrics])).toEqual([
      [t0, { waterLevel: { value: 3.1, unit: 'm', quality: 'N' } }],
      [t1, { waterLevel: { value: 3.3, unit: 'm', quality: 'N' }, rain1h: { value: 2.5, unit: 'mm', quality: 'N' } }],
    ]);
  });

  it('reads encoder output sent as binary (base64 on the bus), negatives included', () => {
    const bytes = encodeSl651(report({ groups: [{ obsTime: cst(2024, 6, 1, 11, 0), elements: [{ id: 'Z', value: -0.42 }, { id: 'Q', value: 1520.5 }, { id: 'PT', value: 812.3 }] }] }));
    const result = normalize(binEnv(bytes), gauge());
    expect(result.ok && result.readings[0]!.metrics).toEqual({
      waterLevel: { value: -0.42, unit: 'm', quality: 'N' },
      flow: { value: 1520.5, unit: 'm3/s', quality: 'N' },
      rainTotal: { value: 812.3, unit: 'mm', quality: 'N' },
    });
  });

  it('carries ZT alarm bits of a status answer (vector yx-46-status) as states at the send time', () => {
    const result = normalize(hexEnv(vector('yx-46-status')), gauge());
    expect(result.ok && result.readings[0]).toMatchObject({ ts: cst(2017, 7, 18, 10, 20, 8), metrics: {}, states: { waterLevelAlarm: false, batteryLow: false } });
  });

  it.each([
    ['yx-35-manual', 'GANZHI_ERR_NORM_BAD_CRC'],
    ['handsomewei-32-b', 'GANZHI_ERR_NORM_BAD_CRC'],
    ['yx-2F-keepalive', 'GANZHI_ERR_NORM_UNSUPPORTED'],
    ['blog-30-down', 'GANZHI_ERR_NORM_UNSUPPORTED'],
    ['shaoyi-test-32', 'GANZHI_ERR_NORM_UNSUPPORTED'],
  ] as const)('rejects vector %s with %s', (id, code) => {
    expect(failure(normalize(hexEnv(vector(id)), gauge())).code).toBe(code);
  });

  it("skips the CRC check when the device's crc attribute is 'none'", () => {
    const result = normalize(hexEnv(vector('handsomewei-32-b')), gauge({ attributes: { crc: 'none' } }));
    expect(result.ok && result.readings[0]!.metrics.waterLevel!.value).toBe(14.997);
  });

  it("accepts a CRC sent low byte first when the device's crc attribute is 'modbus-le'", () => {
    const bytes = Buffer.from(encodeSl651(report()));
    const n = bytes.length;
    [bytes[n - 2], bytes[n - 1]] = [bytes[n - 1]!, bytes[n - 2]!];
    expect(failure(normalize(binEnv(bytes), gauge())).code).toBe('GANZHI_ERR_NORM_BAD_CRC');
    expect(normalize(binEnv(bytes), gauge({ attributes: { crc: 'modbus-le' } })).ok).toBe(true);
  });

  it('checks the station address against the registered attribute station', () => {
    expect(normalize(hexEnv(vector('yx-33-add')), gauge({ attributes: { station: '0011223344' } })).ok).toBe(true);
    expect(failure(normalize(hexEnv(vector('yx-33-add')), gauge({ attributes: { station: '0099999999' } }))).code).toBe('GANZHI_ERR_NORM_UNKNOWN_DEVICE');
  });

  it('rejects a water level outside the physical range', () => {
    const f = failure(normalize(binEnv(encodeSl651(report({ groups: [{ obsTime: cst(2024, 6, 1, 11, 0), elements: [{ id: 'Z', value: 7000 }] }] }))), gauge()));
    expect(f.code).toBe('GANZHI_ERR_NORM_OUT_OF_RANGE');
    expect(f.reason).toMatch(/^waterLevel \(Z\): 7000 outside/);
  });

  it('rejects an observation time after receivedAt + 1 day', () => {
    const late = cst(2025, 6, 1, 11, 0);
    expect(failure(normalize(binEnv(encodeSl651(report({ groups: [{ obsTime: late, elements: [{ id: 'Z', value: 1 }] }] }))), gauge())).code).toBe('GANZHI_ERR_NORM_OUT_OF_RANGE');
  });

  it('maps SL 651 data for river gauges only', () => {
    const f = failure(normalize(envelope('air_monitor', vector('yx-33-add'), { format: 'sl651' }), device('air_monitor', { format: 'sl651' })));
    expect(f.code).toBe('GANZHI_ERR_NORM_UNSUPPORTED');
  });

  it('rejects text that is neither hex nor a frame', () => {
    expect(failure(normalize(hexEnv('hello'), gauge())).code).toBe('GANZHI_ERR_NORM_BAD_FRAME');
    expect(failure(normalize(hexEnv('7E7E0102'), gauge())).code).toBe('GANZHI_ERR_NORM_BAD_FRAME');
  });
});
