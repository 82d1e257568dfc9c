import { z } from 'zod';
import cron from 'node-cron';
import { GanzhiError } from '@ganzhi/schemas';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses an environment with a zod object schema whose keys are the variable names.
 * Fails with GANZHI_ERR_CFG_INVALID naming every bad variable; the result is deep-frozen.
 * Nothing is read at import time: callers pass the env (`process.env` in main.ts only).
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Env): Readonly<z.infer<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new GanzhiError('GANZHI_ERR_CFG_INVALID', problems.join('; '), {
      details: { fields: result.error.issues.map((i) => i.path.join('.')) },
    });
  }
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Env helpers: each coerces a string and keeps zod's error naming the variable. */
export const envPort = (def: number) => z.coerce.number().int().min(0).max(65535).default(def);
export const envInt = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
export const envBool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');
export const envList = (def: string[]) =>
  z
    .string()
    .default(def.join(','))
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
export const envString = (def: string) => z.string().min(1).default(def);
export const envOptionalString = () => z.string().min(1).optional();
/**
 * A node-cron schedule (5 or 6 fields), checked at start-up so that a typo names its variable;
 * the empty string turns the job off.
 */
export const envCron = (def: string) =>
  z
    .string()
    .default(def)
    .refine((v) => v === '' || cron.validate(v), { message: 'not a valid cron expression (5 or 6 fields, e.g. "*/15 * * * * *"; empty turns it off)' });

/** The pino log levels, for GANZHI_LOG_LEVEL. */
export const LogLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * A listener that could not bind, as a start-up error naming the variable that chose the port
 * (EADDRINUSE, EACCES); any other error is returned unchanged.
 */
export function bindError(err: unknown, variable: string, port: number, host: string): unknown {
  const code = (err as { code?: string } | null)?.code;
  if (code === 'EADDRINUSE') return new GanzhiError('GANZHI_ERR_CFG_INVALID', `${variable}: port ${port} on ${host} is already in use`, { cause: err });
  if (code === 'EACCES') return new GanzhiError('GANZHI_ERR_CFG_INVALID', `${variable}: not allowed to listen on port ${port} on ${host}`, { cause: err });
  return err;
}


const DURATION_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration such as `90d`, `36h`, `15m` or `30s`, as ms. */
export const envDuration = (def: string) =>
  z
    .string()
    .regex(/^\d+(s|m|h|d)$/, 'a duration such as 90d, 36h, 15m or 30s')
    .default(def)
    .transform((v) => Number(v.slice(0, -1)) * DURATION_MS[v.slice(-1) as keyof typeof DURATION_MS]);

const SIZE_BYTES: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** A size such as `512MB`, `2GiB` or `0B`, as bytes. */
export const envSize = (def: string) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'a size such as 512MB or 2GiB')
    .default(def)
    .transform((v) => {
      const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(v) as RegExpExecArray;
      return Math.round(Number(m[1]) * (SIZE_BYTES[(m[2] as string).toLowerCase()] ?? 1));
    });
