import type { Logger } from '@ganzhi/log';
import type { StateLog } from '../bus';
import { prepareRecord, type PreparedRecord } from './frame';
import type { TopicLog } from './topic-log';

/** Compact on open when the log holds more than this many records beyond twice the live keys. */
const COMPACT_SLACK = 100;

/** Latest JSON text per key (null = deleted), and how many records the log holds. */
async function latest(log: TopicLog): Promise<{ values: Map<string, string | null>; records: number }> {
  const values = new Map<string, string | null>();
  const cursor = { offset: log.earliestOffset, segmentBase: -1, pos: 0 };
  const end = log.nextOffset;
  let records = 0;
  while (cursor.offset < end) {
    const batch = await log.read(cursor, 10_000);
    if (batch.length === 0) break;
    for (const r of batch) {
      if (r.offset >= end) break;
      records++;
      values.set(r.key, r.json === 'null' ? null : r.json);
    }
  }
  return { values, records };
}

/**
 * Rewrites the changelog to its live keys when it is mostly superseded records. The rewrite goes
 * to a fresh segment (temp file, sync, rename) before the old segments are deleted, and reading
 * old segments followed by the new one gives the same latest values, so a crash at any point
 * leaves a correct log.
 */
export async function compactIfWorthIt(log: TopicLog, logger: Logger): Promise<void> {
  const { values, records } = await latest(log);
  const live: PreparedRecord[] = [];
  for (const [key, json] of values) {
    if (json !== null) live.push({ key, keyBytes: Buffer.byteLength(key), json, jsonBytes: Buffer.byteLength(json) });
  }
  if (records <= 2 * live.length + COMPACT_SLACK) return;
  await log.compact(live, Date.now());
  logger.info({ log: log.name, records, live: live.length }, 'compacted state log');
}

/** A keyed changelog on a log: `put` appends (null deletes), `restore` folds it to the latest values. */
export function stateLogOn<T>(log: TopicLog, decode: (value: unknown) => T): StateLog<T> {
  return {
    async restore(): Promise<Map<string, T>> {
      const { values } = await latest(log);
      const out = new Map<string, T>();
      for (const [key, json] of values) if (json !== null) out.set(key, decode(JSON.parse(json)));
      return out;
    },
    async put(entries): Promise<void> {
      if (entries.length === 0) return;
      await log.append(entries.map((e) => prepareRecord(e.key, e.value)), Date.now());
    },
  };
}
