// `npm run alerts:export -- [--from 2026-01-01] [--to 2026-07-01] [--out alerts.ndjson]`: writes every
// alert event (the audit trail: who, when, why) of [from, to) as NDJSON, oldest first, one AlertChange
// per line — the archive format `npm run audit:verify` chains are computed over. Retention never
// deletes alert events; this is how an operator archives them elsewhere. It reads the store the
// environment names (GANZHI_STORE, GANZHI_DATA_DIR, QUESTDB_*): a DuckDB file is locked by a running
// pipeline, so run it while Ganzhi is stopped (QuestDB can be read at any time).
// Exit code 0 = written, 2 = bad arguments or store not reachable.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { loadConfig } from '@ganzhi/config';
import { createLogger } from '@ganzhi/log';
import { RuntimeConfigSchema, checkRuntime, openStore } from '@ganzhi/runtime';

const DAY = 86_400_000;
const WINDOW = 30 * DAY;

function instant(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    process.stderr.write(`alerts:export: --${name} must be an ISO date or ms epoch, got ${v}\n`);
    process.exit(2);
  }
  return ms;
}

const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' } } });
const from = instant('from', values.from, 0);
const to = instant('to', values.to, Date.now() + DAY);
const config = loadConfig(RuntimeConfigSchema.superRefine(checkRuntime), { ...process.env, GANZHI_LOG_LEVEL: process.env.GANZHI_LOG_LEVEL ?? 'warn' });
const logger = createLogger({ name: 'alerts-export', level: config.GANZHI_LOG_LEVEL });
let store;
try {
  store = await openStore(config, logger);
} catch (err) {
  process.stderr.write(`alerts:export: cannot open the store: ${(err as Error).message}\n`);
  process.exit(2);
}
const out = values.out ? createWriteStream(values.out) : process.stdout;
let n = 0;
// Thirty days at a time, so memory stays bounded whatever the history's length.
for (let start = from; start < to; start += WINDOW) {
  for (const change of await store.alertHistory({ from: start, to: Math.min(start + WINDOW, to) })) {
    if (!out.write(`${JSON.stringify(change)}\n`)) await once(out, 'drain');
    n++;
  }
}
if (out !== process.stdout) await new Promise<void>((resolve) => (out as ReturnType<typeof createWriteStream>).end(resolve));
await store.close();
process.stderr.write(`alerts:export: ${n} alert events of [${new Date(from).toISOString()}, ${new Date(to).toISOString()})\n`);
