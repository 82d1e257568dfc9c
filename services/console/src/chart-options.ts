import type { Bucket, DeviceDetail } from './api';
import { COLOUR, type Level } from './grades';

type Band = DeviceDetail['thresholds'][number];

/**
 * A metric's line chart (bucket averages, with min–max as a light band) and the rule thresholds as
 * coloured bands: for `above` rules each grade's band runs from its threshold up to the next one.
 */
export function metricChart(title: string, buckets: readonly Bucket[], bands: readonly Band[], options: { unit?: string; mark?: number; from?: number; to?: number } = {}): Record<string, unknown> {
  const { unit = '', mark } = options;
  const values = buckets.flatMap((b) => [b.min, b.max]);
  const limits = bands.map((b) => b.value);
  const lo = Math.min(...values, ...limits);
  const hi = Math.max(...values, ...limits);
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.1;
  const yMin = Math.floor((lo - pad) * 100) / 100;
  const yMax = Math.ceil((hi + pad) * 100) / 100;
  const sorted = [...bands].sort((a, b) => a.value - b.value);
  const areas = sorted.map((b, i) => {
    const above = b.direction === 'above';
    const from = above ? b.value : (sorted[i - 1]?.direction === 'below' ? sorted[i - 1]!.value : yMin);
    const to = above ? (sorted[i + 1]?.direction === 'above' ? sorted[i + 1]!.value : yMax) : b.value;
    return [
      { yAxis: from, itemStyle: { color: COLOUR[b.level as Level], opacity: 0.14 }, name: `${b.level} ${b.value}` },
      { yAxis: to },
    ];
  });
  return {
    backgroundColor: 'transparent',
    title: { text: title, left: 8, textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'axis' },
    grid: { left: 56, right: 24, top: 36, bottom: 30 },
    xAxis: { type: 'time', ...(options.from !== undefined ? { min: options.from } : {}), ...(options.to !== undefined ? { max: options.to } : {}) },
    yAxis: { type: 'value', min: yMin, max: yMax, name: unit },
    series: [
      {
        type: 'line',
        name: title,
        showSymbol: buckets.length < 60,
        data: buckets.map((b) => [b.ts, b.avg]),
        lineStyle: { width: 2 },
        markArea: { silent: true, data: areas },
        markLine: {
          symbol: 'none',
          silent: true,
          data: [
            ...sorted.map((b) => ({ yAxis: b.value, lineStyle: { color: COLOUR[b.level as Level], type: 'dashed' }, label: { formatter: `${b.value}`, color: COLOUR[b.level as Level] } })),
            ...(mark ? [{ xAxis: mark, lineStyle: { color: '#fff' }, label: { formatter: '⚑' } }] : []),
          ],
        },
      },
      { type: 'line', name: 'min', data: buckets.map((b) => [b.ts, b.min]), lineStyle: { opacity: 0 }, showSymbol: false, stack: 'range' },
      { type: 'line', name: 'max-min', data: buckets.map((b) => [b.ts, b.max - b.min]), lineStyle: { opacity: 0 }, showSymbol: false, stack: 'range', areaStyle: { opacity: 0.15 } },
    ],
  };
}

/** A bucket width giving about 120 points over the range. */
export function bucketFor(rangeMs: number): number {
  const steps = [10_000, 60_000, 300_000, 900_000, 3600_000, 4 * 3600_000];
  return steps.find((s) => rangeMs / s <= 150) ?? 86_400_000;
}
