import { z } from 'zod';
import type { Notification } from './planner';

/** One try to deliver a notification, as recorded in the outbox and shown per alert. */
export interface Attempt {
  at: number;
  ok: boolean;
  durationMs: number;
  /** Why it failed (HTTP status, the service's error code, a network error); never a URL or a secret. */
  error?: string;
  /** Whether another try follows. */
  retry?: boolean;
}

export type OutboxStatus = 'pending' | 'delivered' | 'failed';

/** A notification in the outbox: its key is its idempotency key. */
export interface OutboxEntry {
  id: string;
  receiver: string;
  notification: Notification;
  status: OutboxStatus;
  attemptCount: number;
  /** The most recent attempts (at most MAX_KEPT_ATTEMPTS), oldest first. */
  attempts: Attempt[];
  /** Not before: when the next try is due. */
  nextAt: number;
  createdAt: number;
  doneAt?: number;
}

export const MAX_KEPT_ATTEMPTS = 20;

export interface RetryPolicy {
  /** First retry after this long; each next one waits twice as long. */
  initialMs: number;
  maxMs: number;
  /** Give up (status failed) after this many attempts. */
  maxAttempts: number;
}

/** Delay before attempt `n + 1` after `n` failed ones: exponential, capped. */
export function retryDelay(policy: RetryPolicy, failed: number): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(failed - 1, 0), 30));
}

export function newEntry(n: Notification, now: number): OutboxEntry {
  return { id: n.id, receiver: n.receiver, notification: n, status: 'pending', attemptCount: 0, attempts: [], nextAt: now, createdAt: now };
}

/** The entry after one attempt: delivered, retried later, or given up. */
export function recordAttempt(entry: OutboxEntry, attempt: Omit<Attempt, 'retry'>, retryable: boolean, policy: RetryPolicy): OutboxEntry {
  const count = entry.attemptCount + 1;
  const retry = !attempt.ok && retryable && count < policy.maxAttempts;
  const kept = [...entry.attempts, { ...attempt, ...(attempt.ok ? {} : { retry }) }].slice(-MAX_KEPT_ATTEMPTS);
  const end = attempt.at + attempt.durationMs;
  if (attempt.ok) return { ...entry, status: 'delivered', attemptCount: count, attempts: kept, doneAt: end };
  if (!retry) return { ...entry, status: 'failed', attemptCount: count, attempts: kept, doneAt: end };
  return { ...entry, attemptCount: count, attempts: kept, nextAt: end + retryDelay(policy, count) };
}

/** Loose decoding of stored entries (the state log is ours; a shape check guards against old formats). */
export const OutboxEntrySchema = z
  .object({
    id: z.string(),
    receiver: z.string(),
    notification: z.object({ id: z.string(), receiver: z.string(), routeId: z.string(), language: z.enum(['zh-CN', 'en']), createdAt: z.number(), items: z.array(z.record(z.string(), z.unknown())).min(1) }),
    status: z.enum(['pending', 'delivered', 'failed']),
    attemptCount: z.number().int().nonnegative(),
    attempts: z.array(z.object({ at: z.number(), ok: z.boolean(), durationMs: z.number(), error: z.string().optional(), retry: z.boolean().optional() })),
    nextAt: z.number(),
    createdAt: z.number(),
    doneAt: z.number().optional(),
  })
  .transform((v) => v as unknown as OutboxEntry);
