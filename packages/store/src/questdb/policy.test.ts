import { describe, expect, it } from 'vitest';
import { backoffDelay, exhausted, mustWait, nextFlushAction, takeCount, type FlushPolicy, type WriterState } from './policy';

const p: FlushPolicy = { autoFlushRows: 100, flushIntervalMs: 500, maxPendingRows: 1000 };
const idle: WriterState = { pendingRows: 0, oldestAt: undefined, retryAt: undefined, inFlight: false, closing: false };

describe('flush policy', () => {
  it('does nothing with nothing pending or while a flush is in flight', () => {
    expect(nextFlushAction(idle, 1000, p)).toEqual({ kind: 'idle' });
    expect(nextFlushAction({ ...idle, pendingRows: 500, oldestAt: 0, inFlight: true }, 1000, p)).toEqual({ kind: 'idle' });
  });

  it('flushes at once when the row threshold is reached', () => {
    expect(nextFlushAction({ ...idle, pendingRows: 100, oldestAt: 1000 }, 1000, p)).toEqual({ kind: 'flush' });
  });

  it('waits for the rest of the interval below the threshold, then flushes', () => {
    const s = { ...idle, pendingRows: 3, oldestAt: 1000 };
    expect(nextFlushAction(s, 1000, p)).toEqual({ kind: 'wait', ms: 500 });
    expect(nextFlushAction(s, 1200, p)).toEqual({ kind: 'wait', ms: 300 });
    expect(nextFlushAction(s, 1500, p)).toEqual({ kind: 'flush' });
    expect(nextFlushAction(s, 9000, p)).toEqual({ kind: 'flush' });
    expect(nextFlushAction(s, 1000, { ...p, flushIntervalMs: 0 })).toEqual({ kind: 'flush' });
  });

  it('holds off until the retry time after a failure, even past the threshold', () => {
    const s = { ...idle, pendingRows: 500, oldestAt: 0, retryAt: 2000 };
    expect(nextFlushAction(s, 1500, p)).toEqual({ kind: 'wait', ms: 500 });
    expect(nextFlushAction(s, 2000, p)).toEqual({ kind: 'flush' });
  });

  it('flushes whatever is pending when closing, ignoring interval and backoff', () => {
    expect(nextFlushAction({ ...idle, pendingRows: 1, oldestAt: 1000, retryAt: 5000, closing: true }, 1000, p)).toEqual({ kind: 'flush' });
  });
});

describe('retry schedule', () => {
  const r = { initialMs: 100, maxMs: 5000 };

  it('doubles from the initial delay up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((a) => backoffDelay(a, r))).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
    expect(backoffDelay(1000, r)).toBe(5000);
    expect(backoffDelay(0, r)).toBe(0);
  });

  it('never gives up without maxAttempts, and gives up at maxAttempts when set', () => {
    expect(exhausted(1_000_000, r)).toBe(false);
    expect(exhausted(2, { ...r, maxAttempts: 3 })).toBe(false);
    expect(exhausted(3, { ...r, maxAttempts: 3 })).toBe(true);
  });
});

describe('batching', () => {
  it('takes whole writes until the batch holds at least autoFlushRows rows', () => {
    expect(takeCount([], 100, false)).toBe(0);
    expect(takeCount([10, 20, 30], 100, false)).toBe(3);
    expect(takeCount([60, 60, 60], 100, false)).toBe(2);
    expect(takeCount([500, 1], 100, false)).toBe(1);
    expect(takeCount([60, 60, 60], 100, true)).toBe(1);
  });

  it('makes writers wait only when the queue is non-empty and would exceed maxPendingRows', () => {
    expect(mustWait(0, 5000, p)).toBe(false); // an oversized write into an empty queue goes in
    expect(mustWait(900, 100, p)).toBe(false);
    expect(mustWait(900, 101, p)).toBe(true);
  });
});
