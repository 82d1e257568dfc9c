import type { Logger } from '@ganzhi/log';
import type { StateLog } from '../bus';
import { prepareRecord, type PreparedRecord } from './frame';
import type { TopicLog } from './topic-log';

/** Compact on open when the log holds more than this many records beyond twice the live keys. */
const COMPACT_SLACK = 100;
/** While running, a log smaller than this is not rewritten (see `stateLogOn`). */
export const DEFAULT_COMPACT_MIN_BYTES = 4 * 1024 * 1024;

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

/**
 * A keyed changelog on a log: `put` appends (null deletes), `restore` folds it to the latest values.
 *
 * The log stays bounded while running: the latest JSON of every live key is kept in memory (a
 * stage holds that state in memory anyway), and once the log holds more than twice its live keys
 * (plus a slack) the live keys are written as a fresh segment that replaces the old ones (temp
 * file, sync, rename: a kill at any point leaves a correct log; see `TopicLog.compact`). The
 * rewrite is proportional to the live keys, not to the history, and happens once per that many
 * appends; puts wait for it meanwhile. Start time then depends on the live keys, not on uptime.
 * A log smaller than `compactMinBytes` is left alone: with 1,000 devices' rule state (a few
 * hundred KB) and 1,000 puts/s, twice the live keys is reached every second, and a rewrite each
 * second (with its fsyncs and rename, rule evaluation waiting) would cost more than the few MB it
 * saves; replaying 4 MiB at start takes milliseconds.
 */
export function stateLogOn<T>(log: TopicLog, decode: (value: unknown) => T, logger?: Logger, compactMinBytes = DEFAULT_COMPACT_MIN_BYTES): StateLog<T> {
  let live: Map<string, string> | undefined;
  let records = 0;
  let chain: Promise<void> = Promise.resolve();
  const serial = <R>(fn: () => Promise<R>): Promise<R> => {
    const run = chain.then(fn);
    chain = run.then(noop, noop);
    return run;
  };
  const load = async (): Promise<Map<string, string>> => {
    if (!live) {
      const folded = await latest(log);
      live = new Map();
      for (const [key, json] of folded.values) if (json !== null) live.set(key, json);
      records = folded.records;
    }
    return live;
  };
  return {
    async restore(): Promise<Map<string, T>> {
      const values = await serial(load);
      const out = new Map<string, T>();
      for (const [key, json] of values) out.set(key, decode(JSON.parse(json)));
      return out;
    },
    put(entries): Promise<void> {
      if (entries.length === 0) return Promise.resolve();
      return serial(async () => {
        const values = await load();
        const prepared = entries.map((e) => prepareRecord(e.key, e.value));
        await log.append(prepared, Date.now());
        for (const r of prepared) {
          if (r.json === 'null') values.delete(r.key);
          else values.set(r.key, r.json);
        }
        records += prepared.length;
        if (records > 2 * values.size + COMPACT_SLACK && log.sizeBytes >= compactMinBytes) {
          const started = performance.now();
          const before = records;
          await log.compact([...values].map(([key, json]) => ({ key, keyBytes: Buffer.byteLength(key), json, jsonBytes: Buffer.byteLength(json) })), Date.now());
          records = values.size;
          logger?.debug({ log: log.name, records: before, live: values.size, ms: Math.round(performance.now() - started) }, 'compacted state log');
        }
      });
    },
  };
}

function noop(): void {}
