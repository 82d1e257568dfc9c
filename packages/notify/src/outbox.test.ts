import { describe, expect, it } from 'vitest';
import { MAX_KEPT_ATTEMPTS, newEntry, recordAttempt, retryDelay } from './outbox';
import type { Notification } from './planner';

const n = { id: 'ntf-x', receiver: 'hook', routeId: 'root', language: 'zh-CN', createdAt: 0, items: [] } as unknown as Notification;
const policy = { initialMs: 1000, maxMs: 8000, maxAttempts: 5 };

describe('the outbox', () => {
  it('backs off exponentially up to a cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((k) => retryDelay(policy, k))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('retries a retryable failure, gives up a refusal at once and anything after the last attempt', () => {
    let e = newEntry(n, 0);
    e = recordAttempt(e, { at: 0, ok: false, durationMs: 10, error: 'HTTP 500' }, true, policy);
    expect(e).toMatchObject({ status: 'pending', attemptCount: 1, nextAt: 1010 });
    expect(recordAttempt(e, { at: 2000, ok: false, durationMs: 0, error: 'HTTP 404' }, false, policy)).toMatchObject({ status: 'failed', doneAt: 2000 });
    for (let i = 0; i < 4; i++) e = recordAttempt(e, { at: 10_000 * (i + 1), ok: false, durationMs: 0 }, true, policy);
    expect(e).toMatchObject({ status: 'failed', attemptCount: 5 });
    expect(e.attempts.at(-1)).toMatchObject({ retry: false });
  });

  it('records a delivery, and keeps only the latest attempts', () => {
    let e = newEntry(n, 0);
    const many = { ...policy, maxAttempts: 100 };
    for (let i = 0; i < 30; i++) e = recordAttempt(e, { at: i, ok: false, durationMs: 0 }, true, many);
    e = recordAttempt(e, { at: 99, ok: true, durationMs: 1 }, true, many);
    expect(e).toMatchObject({ status: 'delivered', attemptCount: 31, doneAt: 100 });
    expect(e.attempts).toHaveLength(MAX_KEPT_ATTEMPTS);
    expect(e.attempts.at(-1)).toEqual({ at: 99, ok: true, durationMs: 1 });
  });
});
