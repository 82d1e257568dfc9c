import type { DeviceKind, MetricValue, Quality } from '@ganzhi/schemas';
import type { StoredReading } from '../rows';

/**
 * Readings as they cross to the store thread: what the store keeps of them (`StoredReading`) in a
 * few typed arrays and one table of the distinct strings. Device ids, kinds, sites, metric names,
 * units and qualities repeat across a group, so each is sent once and referred to by index; numbers
 * go as doubles (NaN and ±Infinity included, which JSON cannot carry). The typed arrays' buffers are
 * transferred, not copied. Packing a reading costs a few map lookups on the sending thread, where
 * V8's structured clone of the objects (or a JSON round trip) costs microseconds on both.
 */
export interface PackedReadings {
  /** The distinct strings, referred to by index. */
  readonly strings: string[];
  /** Per reading: deviceId, kind, site (-1: none) as string indexes, then its number of metrics. */
  readonly heads: Int32Array;
  /** Per reading: its ts (epoch ms). */
  readonly ts: Float64Array;
  /** Per metric, in reading order: name, unit, quality as string indexes. */
  readonly names: Int32Array;
  /** Per metric: its value. */
  readonly values: Float64Array;
}

const HEAD = 4;
const METRIC = 3;

/** Packs `readings` (which hold `rows` metrics in all, as `rowCount` counts them). */
export function packReadings(readings: readonly StoredReading[], rows: number): PackedReadings {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const ref = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      index.set(s, i);
    }
    return i;
  };
  const heads = new Int32Array(readings.length * HEAD);
  const ts = new Float64Array(readings.length);
  const names = new Int32Array(rows * METRIC);
  const values = new Float64Array(rows);
  let m = 0;
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i]!;
    const h = i * HEAD;
    heads[h] = ref(r.deviceId);
    heads[h + 1] = ref(r.kind);
    heads[h + 2] = r.site === undefined ? -1 : ref(r.site);
    ts[i] = r.ts;
    let count = 0;
    for (const name in r.metrics) {
      const v = r.metrics[name];
      if (v === undefined) continue;
      names[m * METRIC] = ref(name);
      names[m * METRIC + 1] = ref(v.unit);
      names[m * METRIC + 2] = ref(v.quality);
      values[m] = v.value;
      m++;
      count++;
    }
    heads[h + 3] = count;
  }
  if (m !== rows) throw new RangeError(`packReadings: the readings hold ${m} metrics, not ${rows}`);
  return { strings, heads, ts, names, values };
}

/** The buffers to transfer with a packed group (the sender no longer needs them). */
export function transferList(p: PackedReadings): ArrayBuffer[] {
  return [p.heads.buffer, p.ts.buffer, p.names.buffer, p.values.buffer] as ArrayBuffer[];
}

/** The readings again, as the store keeps them. */
export function unpackReadings(p: PackedReadings): StoredReading[] {
  const { strings, heads, ts, names, values } = p;
  const out = new Array<StoredReading>(ts.length);
  let m = 0;
  for (let i = 0; i < ts.length; i++) {
    const h = i * HEAD;
    const metrics: Record<string, MetricValue> = {};
    for (let end = m + heads[h + 3]!; m < end; m++) {
      const name = strings[names[m * METRIC]!]!;
      const value: MetricValue = { value: values[m]!, unit: strings[names[m * METRIC + 1]!]!, quality: strings[names[m * METRIC + 2]!] as Quality };
      // as JSON.parse would: "__proto__" is a metric like any other, not the object's prototype
      if (name === '__proto__') Object.defineProperty(metrics, name, { value, enumerable: true, writable: true, configurable: true });
      else metrics[name] = value;
    }
    const site = heads[h + 2]!;
    out[i] = {
      deviceId: strings[heads[h]!]!,
      kind: strings[heads[h + 1]!] as DeviceKind,
      ...(site < 0 ? {} : { site: strings[site]! }),
      ts: ts[i]!,
      metrics,
    };
  }
  return out;
}
