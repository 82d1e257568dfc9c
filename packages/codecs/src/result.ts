import type { ErrorCode, Reading } from '@ganzhi/schemas';

/** A typed failure: the code says what kind of bad input it was, the reason names the field. */
export interface Failure {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly reason: string;
}

export type NormalizeResult = { ok: true; readings: Reading[] } | Failure;

/** Result of a decoder step that either yields a value or a typed failure. */
export type Decoded<T> = { ok: true; value: T } | Failure;

/** Longest reason kept; the dead-letter schema allows 2048 characters. */
const MAX_REASON = 512;

export function fail(code: ErrorCode, reason: string): Failure {
  return { ok: false, code, reason: reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason };
}

/** A short, safe rendering of an input value for a reason text. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'array' : 'object';
}

/** The JSON type name of a value, as used in "expected number, got string". */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
