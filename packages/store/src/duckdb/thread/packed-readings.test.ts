import { describe, expect, it } from 'vitest';
import { rowCount, type StoredReading } from '../rows';
import { packReadings, transferList, unpackReadings } from './packed-readings';

const reading = (deviceId: string, ts: number, metrics: StoredReading['metrics'], site?: string): StoredReading => ({
  deviceId,
  kind: 'air_monitor',
  ...(site === undefined ? {} : { site }),
  ts,
  metrics,
});

const roundTrip = (readings: StoredReading[]) => unpackReadings(structuredClone(packReadings(readings, rowCount(readings))));

describe('packed readings (what crosses to the store thread)', () => {
  it('gives back what the store keeps of each reading, in order, sites and non-finite values included', () => {
    const readings = [
      reading('aq-1', 1_700_000_000_123, { pm25: { value: 0.1 + 0.2, unit: 'ug/m3', quality: 'N' }, no2: { value: Number.NaN, unit: 'ug/m3', quality: 'F' } }, 'east'),
      reading('aq-2', 1_700_000_000_456, { pm25: { value: -Infinity, unit: 'ug/m3', quality: 'N' }, co: { value: 1.7976931348623157e308, unit: 'mg/m3', quality: 'M' } }),
      reading('aq-1', 1_700_000_001_123, {}),
      reading('水位-站"1', 0, { 'q"\\-水位': { value: -0, unit: 'm', quality: 'N' } }, ''),
    ];
    expect(roundTrip(readings)).toEqual(readings);
    expect(Object.is(roundTrip(readings)[3]!.metrics['q"\\-水位']!.value, -0)).toBe(true);
  });

  it('sends each distinct string once', () => {
    const readings = Array.from({ length: 100 }, (_, i) =>
      reading(`aq-${i % 10}`, i, { pm25: { value: i, unit: 'ug/m3', quality: 'N' }, pm10: { value: i, unit: 'ug/m3', quality: 'N' } }, 'east'),
    );
    const packed = packReadings(readings, rowCount(readings));
    // 10 devices, one kind, one site, two metric names, one unit, one quality
    expect(packed.strings).toHaveLength(16);
    expect(packed.values).toHaveLength(200);
    expect(unpackReadings(packed)).toEqual(readings);
  });

  it('keeps a metric named __proto__ as a metric, as JSON.parse does', () => {
    const metrics = JSON.parse('{"__proto__": {"value": 1, "unit": "m", "quality": "N"}}') as StoredReading['metrics'];
    const [back] = roundTrip([reading('aq-1', 1, metrics)]);
    expect(Object.keys(back!.metrics)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(back!.metrics)).toBe(Object.prototype);
    expect(back!.metrics['__proto__']).toEqual({ value: 1, unit: 'm', quality: 'N' });
  });

  it('refuses a row count that is not the readings', () => {
    expect(() => packReadings([reading('aq-1', 1, { pm25: { value: 1, unit: 'ug/m3', quality: 'N' } })], 2)).toThrow(RangeError);
  });

  it('hands over its buffers: after a transfer the sender keeps none of them', () => {
    const readings = [reading('aq-1', 1, { pm25: { value: 1, unit: 'ug/m3', quality: 'N' } })];
    const packed = packReadings(readings, 1);
    const moved = structuredClone(packed, { transfer: transferList(packed) });
    expect(packed.values.length).toBe(0);
    expect(unpackReadings(moved)).toEqual(readings);
  });
});
