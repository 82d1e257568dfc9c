import { Sender } from '@questdb/nodejs-client';
import { createQuestDbStore, questDbOptionsFromEnv, resolveEndpoint, type QuestDbStoreOptions } from '@ganzhi/store';
import type { Reading } from '@ganzhi/schemas';
import { resolveOptions, senderConfig } from '../../packages/store/src/questdb/config';
import { createExecClient } from '../../packages/store/src/questdb/http';
import { rollupNames } from '../../packages/store/src/questdb/lifecycle-sql';
import { tableNames } from '../../packages/store/src/questdb/sql';
import { mergeSides, timedWrites, type PairRow, type SideResult } from './readings';

const T0 = Date.UTC(2026, 0, 1);

/** The raw baseline: the client's Sender, auto-flush off, one flush (one HTTP request) per batch. */
async function rawSide(options: QuestDbStoreOptions, table: string, seconds: number, batch: number, start: number): Promise<SideResult & { next: number }> {
  const sender = await Sender.fromConfig(senderConfig(options, resolveOptions(options)));
  try {
    return await timedWrites(seconds, batch, T0, start, async (readings: Reading[]) => {
      for (const r of readings) {
        for (const metric in r.metrics) {
          const m = r.metrics[metric]!;
          sender.table(table).symbol('device_id', r.deviceId).symbol('kind', r.kind);
          if (r.site !== undefined) sender.symbol('site', r.site);
          sender.symbol('metric', metric).symbol('unit', m.unit).symbol('quality', m.quality).floatColumn('value', m.value);
          await sender.at(r.ts, 'ms');
        }
      }
      await sender.flush();
    });
  } finally {
    await sender.close();
  }
}

/**
 * Our QuestDB store against the raw `@questdb/nodejs-client` Sender, on tables of the same
 * shape (both made by the store's DDL, different prefixes), one producer awaiting each batch,
 * alternating ours, raw, raw, ours. Ours runs with awaitVisible off (the raw client does not
 * wait for WAL apply either) and autoFlushRows at one batch's rows, so a write flushes at once
 * instead of waiting for the flush timer.
 */
export async function pairQuestDb(env: Readonly<Record<string, string | undefined>>, seconds: number, batches: readonly number[], log: (line: string) => void): Promise<PairRow[]> {
  const base = questDbOptionsFromEnv(env);
  const prefix = `bench_pair_${Date.now().toString(36)}_`;
  const rawPrefix = `${prefix}raw_`;
  // The raw side's tables, made with the store's own DDL.
  await (await createQuestDbStore({ ...base, tablePrefix: rawPrefix })).close();
  const rawTable = tableNames(rawPrefix).readings;
  const out: PairRow[] = [];
  let next = 0;
  try {
    for (const batch of batches) {
      const ours = async (): Promise<SideResult> => {
        const store = await createQuestDbStore({ ...base, tablePrefix: prefix, awaitVisible: false, autoFlushRows: 4 * batch, flushIntervalMs: 50 });
        try {
          const r = await timedWrites(seconds / 2, batch, T0, next, (readings) => store.writeReadings(readings));
          next = r.next;
          return r;
        } finally {
          await store.close();
        }
      };
      const raw = async (): Promise<SideResult> => {
        const r = await rawSide(base, rawTable, seconds / 2, batch, next);
        next = r.next;
        return r;
      };
      log(`  QuestDB batch ${batch}: ours, raw client, raw client, ours (${seconds / 2} s of writes each)`);
      const o1 = await ours();
      const r1 = await raw();
      const r2 = await raw();
      const o2 = await ours();
      out.push({ store: 'QuestDB', shape: `1 producer × ${batch} readings`, ours: mergeSides(o1, o2), raw: mergeSides(r1, r2) });
    }
  } finally {
    const exec = createExecClient({ ...base, url: resolveEndpoint(base.url).url, timeoutMs: 30_000 });
    for (const p of [prefix, rawPrefix]) {
      const t = tableNames(p);
      const r = rollupNames(t);
      // Views first (they depend on readings); whichever kind each name is, one of the two drops it.
      for (const name of [r['1h'], r['1m'], r.state, t.readings, t.alertEvents]) {
        await exec.query(`DROP MATERIALIZED VIEW IF EXISTS ${name}`).catch(() => undefined);
        await exec.query(`DROP TABLE IF EXISTS ${name}`).catch(() => undefined);
      }
    }
    exec.close();
  }
  return out;
}
