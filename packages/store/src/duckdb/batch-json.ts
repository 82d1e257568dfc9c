import { flattenReadings, type StagedRow, type StoredReading } from './rows';

/**
 * A batch of readings as one JSON text that DuckDB unpacks itself (UPSERT_JSON in schema.ts), so the
 * JS main thread only builds arrays and calls JSON.stringify; parsing, unnesting and inserting
 * run on DuckDB's threads. Column-wise, one entry per (device, ts) group:
 *   d, k, s, t: deviceId, kind, site (or null), ts (epoch ms)
 *   m, v, u, q: per group, the metric names, values, units and quality flags
 */
export interface EncodedBatch {
  json: string;
  /** Rows the batch becomes (one per metric after in-batch duplicates collapse). */
  rows: number;
}

/** The shape `from_json` parses EncodedBatch.json into. */
export const BATCH_JSON_SHAPE =
  '{"d":["VARCHAR"],"k":["VARCHAR"],"s":["VARCHAR"],"t":["BIGINT"],' +
  '"m":[["VARCHAR"]],"v":[["DOUBLE"]],"u":[["VARCHAR"]],"q":[["VARCHAR"]]}';

interface Columns {
  d: string[];
  k: string[];
  s: (string | null)[];
  t: number[];
  m: string[][];
  v: (number | string)[][];
  u: string[][];
  q: string[][];
}

function columns(): Columns {
  return { d: [], k: [], s: [], t: [], m: [], v: [], u: [], q: [] };
}

/** JSON has no NaN or Infinity; DuckDB casts these spellings back to DOUBLE. */
function jsonNumber(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

/** A lone surrogate half: JSON.stringify escapes it as \udXXX, which DuckDB's parser rejects. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** Matches every such escape (and, harmlessly, an escaped backslash followed by "ud8…"). */
const ESCAPED_SURROGATE = /\\ud[89a-f]/;

function wellFormed(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? value.replace(LONE_SURROGATE, '\ufffd') : value;
}

/**
 * Serialises the columns. Strings with a lone surrogate get U+FFFD in its place, which is what
 * any UTF-8 conversion (e.g. an Appender's) stores; only batches that hold one pay for the check.
 */
function stringify(c: Columns): string {
  const json = JSON.stringify(c);
  return ESCAPED_SURROGATE.test(json) ? JSON.stringify(c, wellFormed) : json;
}

/**
 * Encodes readings for UPSERT_JSON. Rows with the same (device, metric, ts) collapse to
 * the last occurrence, exactly as flattenReadings does: a batch in which a (device, ts) repeats
 * (rare: re-delivery inside one batch) is encoded row by row from flattenReadings.
 */
export function encodeReadings(readings: readonly StoredReading[]): EncodedBatch {
  const c = columns();
  const seen = readings.length > 1 ? new Set<string>() : undefined;
  let rows = 0;
  for (const r of readings) {
    if (seen) {
      const key = `${r.deviceId}\u0000${r.ts}`;
      if (seen.has(key)) return encodeRows(flattenReadings(readings));
      seen.add(key);
    }
    const m: string[] = [];
    const v: (number | string)[] = [];
    const u: string[] = [];
    const q: string[] = [];
    for (const name in r.metrics) {
      const x = r.metrics[name];
      if (x === undefined) continue;
      m.push(name);
      v.push(jsonNumber(x.value));
      u.push(x.unit);
      q.push(x.quality);
    }
    if (m.length === 0) continue;
    c.d.push(r.deviceId);
    c.k.push(r.kind);
    c.s.push(r.site ?? null);
    c.t.push(r.ts);
    c.m.push(m);
    c.v.push(v);
    c.u.push(u);
    c.q.push(q);
    rows += m.length;
  }
  return { json: stringify(c), rows };
}

/** One group per row: the general form, used when a batch holds repeated keys. */
export function encodeRows(staged: readonly StagedRow[]): EncodedBatch {
  const c = columns();
  for (const r of staged) {
    c.d.push(r.deviceId);
    c.k.push(r.kind);
    c.s.push(r.site);
    c.t.push(r.ts);
    c.m.push([r.metric]);
    c.v.push([jsonNumber(r.value)]);
    c.u.push([r.unit]);
    c.q.push([r.quality]);
  }
  return { json: stringify(c), rows: staged.length };
}
