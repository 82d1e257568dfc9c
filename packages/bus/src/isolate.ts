import { ERRORS, isGanzhiError, type ErrorCode } from '@ganzhi/schemas';

/**
 * How a handler's failure is treated (README "Reliability"):
 *  - `outage`: a typed infrastructure error saying a dependency is unreachable
 *    (GANZHI_ERR_*_UNAVAILABLE): retried with backoff for as long as it lasts; backpressure holds
 *    PUBACKs meanwhile, so nothing is parked because a store was down;
 *  - `transient`: another typed retryable error: retried with backoff, at most `maxAttempts`
 *    times, then handled as poison;
 *  - `poison`: anything else, a non-retryable code or an untyped exception (a bug, or a record
 *    that makes a stage's code throw): the records at fault are found and parked in the
 *    dead-letter topic, and the others flow on.
 */
export type FailureKind = 'outage' | 'transient' | 'poison';

export function failureKind(err: unknown): FailureKind {
  if (!isGanzhiError(err) || !ERRORS[err.code].retryable) return 'poison';
  return err.code.endsWith('_UNAVAILABLE') ? 'outage' : 'transient';
}

export interface Poisoned<T> {
  readonly item: T;
  readonly error: unknown;
}

/**
 * Runs `items` through `run`; when it fails with a poison error, halves the batch and runs each
 * half again, down to single items, so that only the records at fault are returned (with their
 * error) and every other record is handled. Any other failure is rethrown (the caller retries the
 * whole batch: handlers are idempotent, so the halves already handled may be handled again).
 * `poison` decides what counts as poison (a caller that ran out of attempts counts everything).
 */
export async function isolatePoison<T>(
  items: readonly T[],
  run: (items: readonly T[]) => Promise<void>,
  poison: (err: unknown) => boolean = (err) => failureKind(err) === 'poison',
): Promise<Poisoned<T>[]> {
  try {
    await run(items);
    return [];
  } catch (error) {
    if (!poison(error)) throw error;
    if (items.length === 1) return [{ item: items[0] as T, error }];
    const mid = Math.ceil(items.length / 2);
    const left = await isolatePoison(items.slice(0, mid), run, poison);
    const right = await isolatePoison(items.slice(mid), run, poison);
    return [...left, ...right];
  }
}

/** The code a parked record carries: the error's own, or GANZHI_ERR_STAGE_FAILED for an untyped one. */
export function codeOf(err: unknown): ErrorCode {
  return isGanzhiError(err) ? err.code : 'GANZHI_ERR_STAGE_FAILED';
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
