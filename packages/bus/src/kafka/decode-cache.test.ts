import { describe, expect, it } from 'vitest';
import type { FetchedRecord } from './codec';
import { DecodeCache } from './decode-cache';

const reading = (n: number) => ({
  deviceId: 'dev-1',
  kind: 'river_gauge',
  ts: 1_700_000_000_000 + n,
  metrics: { level: { value: n, unit: 'm', quality: 'N' } },
  sourceId: `src-${n}`,
  receivedAt: 1_700_000_000_005 + n,
});
/** A freshly fetched copy of the record at `offset` (each consumer fetches its own buffers). */
const fetched = (offset: number, value: unknown = reading(offset)): FetchedRecord => ({
  topic: 'ganzhi.readings.v1',
  partition: 0,
  offset: String(offset),
  key: Buffer.from('dev-1'),
  value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  timestamp: '1700000000123',
});

describe('DecodeCache', () => {
  it('hands a second group the delivery the first one decoded at the same position', () => {
    const cache = new DecodeCache(10);
    const a = cache.decode('ganzhi.readings.v1', fetched(1));
    const b = cache.decode('ganzhi.readings.v1', fetched(1));
    expect(b).toBe(a);
    expect(a.ok && a.delivery.value.sourceId).toBe('src-1');
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 1, misses: 1 });
  });

  it('keeps failures too, so every group dead-letters a poison record with the same reason', () => {
    const cache = new DecodeCache(10);
    const a = cache.decode('ganzhi.readings.v1', fetched(7, 'not json'));
    expect(a).toEqual({ ok: false, reason: 'value is not valid JSON' });
    expect(cache.decode('ganzhi.readings.v1', fetched(7, 'not json'))).toBe(a);
  });

  it('holds at most maxEntries, dropping the oldest, and decodes again after a drop', () => {
    const cache = new DecodeCache(2);
    const first = cache.decode('ganzhi.readings.v1', fetched(1));
    cache.decode('ganzhi.readings.v1', fetched(2));
    cache.decode('ganzhi.readings.v1', fetched(3));
    const again = cache.decode('ganzhi.readings.v1', fetched(1));
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    expect(cache.misses).toBe(4);
  });

  it('with no room, decodes every time', () => {
    const cache = new DecodeCache(0);
    expect(cache.decode('ganzhi.readings.v1', fetched(1))).not.toBe(cache.decode('ganzhi.readings.v1', fetched(1)));
  });
});
