import { describe, expect, it } from 'vitest';
import { bucketOf, bucketUpperMs, count, emptyHistogram, merge, percentile, record, samplePercentiles } from './hist';

describe('latency histogram', () => {
  it('reports percentiles within the bucket ratio of the true values', () => {
    const h = emptyHistogram();
    for (let i = 1; i <= 1000; i++) record(h, i / 10); // 0.1 .. 100 ms
    expect(count(h)).toBe(1000);
    expect(percentile(h, 50)!).toBeGreaterThanOrEqual(50);
    expect(percentile(h, 50)!).toBeLessThan(50 * 1.05);
    expect(percentile(h, 99)!).toBeGreaterThanOrEqual(99);
    expect(percentile(h, 99)!).toBeLessThan(99 * 1.05);
  });

  it('merges histograms from several workers as if recorded in one', () => {
    const a = emptyHistogram();
    const b = emptyHistogram();
    record(a, 1);
    record(b, 1000);
    record(b, 1000);
    const m = merge(emptyHistogram(), a);
    merge(m, b);
    expect(count(m)).toBe(3);
    expect(percentile(m, 30)!).toBeLessThan(1.05);
    expect(percentile(m, 90)!).toBeGreaterThanOrEqual(1000);
  });

  it('has no percentile when empty and clamps values outside its range', () => {
    expect(percentile(emptyHistogram(), 50)).toBeUndefined();
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(-1)).toBe(0);
    expect(bucketUpperMs(bucketOf(1e9))).toBeGreaterThan(100_000);
  });

  it('gives exact percentiles of a small sample', () => {
    expect(samplePercentiles([5, 1, 3, 2, 4])).toEqual({ n: 5, p50: 3, p99: 5, max: 5 });
    expect(samplePercentiles([])).toEqual({ n: 0 });
  });
});
