import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GanzhiError } from '@ganzhi/schemas';
import { parseDuration } from '../duration';

/** Exit codes: 0 done (and as expected), 1 ran but differed from expectations, 2 usage or start-up error. */
export const EXIT = { ok: 0, different: 1, error: 2 } as const;

export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig['options']>;

type HelpOption = { help: { type: 'boolean'; short: 'h' } };

/** Strict parsing of a command's options (plus --help/-h); unknown options are usage errors. */
export function parse<const O extends Options>(argv: readonly string[], options: O, usage: string) {
  const config = {
    args: [...argv],
    options: { ...options, help: { type: 'boolean', short: 'h' } } as O & HelpOption,
    allowPositionals: true as const,
    strict: true as const,
  };
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
}

export function num(value: string | boolean | undefined, name: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number ${min}..${max}, got ${String(value)}`);
  return n;
}

export function duration(value: string | boolean | undefined, name: string, def: number): number {
  if (value === undefined) return def;
  const ms = typeof value === 'string' ? (/^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : parseDuration(value)) : undefined;
  if (ms === undefined || ms < 0) throw new UsageError(`--${name} must be seconds or a duration such as 90s, 5m, 1h; got ${String(value)}`);
  return ms;
}

export function str(value: string | boolean | undefined, def: string): string {
  return typeof value === 'string' ? value : def;
}

/** A short message for errors the user can fix (bad files, refused credentials). */
export function describeError(err: unknown): string {
  if (err instanceof UsageError) return err.message;
  if (err instanceof GanzhiError) return `${err.code}: ${err.message}`;
  const e = err as { code?: unknown; message?: unknown };
  if (e && typeof e.message === 'string') return typeof e.code === 'string' || typeof e.code === 'number' ? `${String(e.code)}: ${e.message}` : e.message;
  return String(err);
}

/** An AbortController that aborts on the first SIGINT/SIGTERM (a second one exits at once). */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSignal = () => {
    if (ac.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping (again to force)...\n');
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
