/**
 * The writer's decisions as pure functions of its state and the clock: when to flush, how long
 * to back off after a failure, how many entries go into one flush. No timers, no I/O.
 */

export interface FlushPolicy {
  /** Flush as soon as this many rows are pending. */
  autoFlushRows: number;
  /** Flush pending rows once the oldest has waited this long (0 = flush at once). */
  flushIntervalMs: number;
  /** Writers wait (backpressure) while this many rows are pending. */
  maxPendingRows: number;
}

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  /** Consecutive failed attempts after which a batch's writes are rejected; absent = never give up. */
  maxAttempts?: number;
}

export interface WriterState {
  pendingRows: number;
  /** Enqueue time of the oldest pending entry (ms), or undefined when nothing is pending. */
  oldestAt: number | undefined;
  /** Earliest time of the next attempt after a failure, or undefined when not backing off. */
  retryAt: number | undefined;
  inFlight: boolean;
  /** Closing: flush what is pending without waiting for the interval. */
  closing: boolean;
}

export type FlushAction = { kind: 'idle' } | { kind: 'flush' } | { kind: 'wait'; ms: number };

export function nextFlushAction(s: WriterState, now: number, p: FlushPolicy): FlushAction {
  if (s.inFlight || s.pendingRows === 0 || s.oldestAt === undefined) return { kind: 'idle' };
  if (s.retryAt !== undefined && s.retryAt > now && !s.closing) return { kind: 'wait', ms: s.retryAt - now };
  if (s.closing || s.pendingRows >= p.autoFlushRows) return { kind: 'flush' };
  const due = s.oldestAt + p.flushIntervalMs;
  return due <= now ? { kind: 'flush' } : { kind: 'wait', ms: due - now };
}

/** Delay before retry number `attempt` (1-based): initialMs doubling up to maxMs. */
export function backoffDelay(attempt: number, r: RetryPolicy): number {
  if (attempt < 1) return 0;
  const exp = Math.min(attempt - 1, 30);
  return Math.min(r.maxMs, r.initialMs * 2 ** exp);
}

/** Whether a batch that failed `attempts` times in a row should be given up. */
export function exhausted(attempts: number, r: RetryPolicy): boolean {
  return r.maxAttempts !== undefined && attempts >= r.maxAttempts;
}

/**
 * How many queued entries (sizes in rows, oldest first) go into the next flush: entries are
 * never split, so a flush takes entries until it holds at least autoFlushRows rows. `isolate`
 * (after a rejected multi-entry batch) takes one entry at a time to find the bad one.
 */
export function takeCount(sizes: readonly number[], autoFlushRows: number, isolate: boolean): number {
  if (sizes.length === 0) return 0;
  if (isolate) return 1;
  let rows = 0;
  let n = 0;
  for (const size of sizes) {
    rows += size;
    n++;
    if (rows >= autoFlushRows) break;
  }
  return n;
}

/** Whether a writer of `rows` rows must wait for space (an oversized write into an empty queue is let in). */
export function mustWait(pendingRows: number, rows: number, p: FlushPolicy): boolean {
  return pendingRows > 0 && pendingRows + rows > p.maxPendingRows;
}
