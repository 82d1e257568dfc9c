import { pairDuckDb } from '../store/duckdb-pair';
import { pairQuestDb } from '../store/questdb-pair';
import type { PairRow } from '../store/readings';

export interface StorePairsResult {
  pairs: PairRow[];
  /** Why the QuestDB pair did not run (no QUESTDB_URL, or it failed). */
  questdbSkipped?: string;
}

export interface StorePairsOptions {
  /** Write time per side and shape (split over two alternated runs). */
  seconds: number;
  env: Readonly<Record<string, string | undefined>>;
  log: (line: string) => void;
}

/**
 * Our store writers beside the raw clients on the same table shape: DuckDB (always, a temp
 * file) against its Appender, QuestDB (when QUESTDB_URL is set) against `@questdb/nodejs-client`.
 */
export async function runStorePairs(o: StorePairsOptions): Promise<StorePairsResult> {
  const pairs = await pairDuckDb(o.seconds, [20, 500, 2000], o.log);
  const url = o.env['QUESTDB_URL'];
  if (!url) return { pairs, questdbSkipped: 'QUESTDB_URL is not set (point it at a QuestDB 8+ HTTP endpoint to pair the QuestDB writer with the raw client)' };
  try {
    pairs.push(...(await pairQuestDb(o.env, o.seconds, [100, 1000, 2000], o.log)));
    return { pairs };
  } catch (err) {
    return { pairs, questdbSkipped: `QuestDB at ${url} failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

const n0 = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-');
const n1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');

export function formatStorePairs(r: StorePairsResult, table: (rows: readonly (readonly string[])[]) => string): string {
  const rows = r.pairs.map((p) => [
    p.store,
    p.shape,
    n0(p.ours.rowsPerSec),
    n0(p.raw.rowsPerSec),
    `${(p.ours.rowsPerSec / p.raw.rowsPerSec).toFixed(2)}x`,
    n1(p.ours.cpuUsPerRow),
    n1(p.raw.cpuUsPerRow),
  ]);
  const out = [table([['store', 'shape', 'ours rows/s', 'raw rows/s', 'ours/raw', 'ours CPU µs/row', 'raw CPU µs/row'], ...rows])];
  if (r.questdbSkipped) out.push(`QuestDB pair skipped: ${r.questdbSkipped}`);
  return out.join('\n');
}
