import { GanzhiError, isGanzhiError } from '@ganzhi/schemas';
import {
  backoffDelay,
  exhausted,
  mustWait,
  nextFlushAction,
  takeCount,
  type FlushPolicy,
  type RetryPolicy,
} from './policy';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** 'retry': transient (keep the batch, back off); 'reject': the server refused the rows. */
export type FailureKind = 'retry' | 'reject';

export interface BatchWriterDeps<R> {
  /** Sends one batch as one transaction; resolves once it is durable. */
  send(rows: readonly R[]): Promise<void>;
  classify(err: unknown): FailureKind;
  flush: FlushPolicy;
  retry: RetryPolicy;
  clock?: Clock;
  /** Called on every failed attempt (for logs and counters). */
  onFailure?(err: unknown, info: { attempt: number; kind: FailureKind; rows: number; retryInMs?: number }): void;
}

export interface BatchWriterStats {
  pendingRows: number;
  flushes: number;
  rowsFlushed: number;
  failedAttempts: number;
  rejectedRows: number;
}

interface Entry<R> {
  rows: readonly R[];
  at: number;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Batches writes into transactions by rows and by time, with its own timer (a quiet stream
 * still flushes). A write's promise settles only when its rows are flushed: resolved once the
 * send succeeds, so a caller acks its input only after that. On a transient failure the batch
 * stays at the head of the queue and is retried with exponential backoff — never dropped —
 * while new writers wait once maxPendingRows are queued (backpressure, bounded memory).
 * A rejected batch of several writes is retried one write at a time, so one bad write does
 * not fail its neighbours.
 */
export class BatchWriter<R> {
  private readonly queue: Entry<R>[] = [];
  private readonly spaceWaiters: Array<() => void> = [];
  private readonly clock: Clock;
  private pendingRows = 0;
  private inFlight: Promise<void> | undefined;
  private timer: unknown;
  private attempts = 0;
  private retryAt: number | undefined;
  private isolateLeft = 0;
  private closing = false;
  private closed: Promise<void> | undefined;
  private readonly counters = { flushes: 0, rowsFlushed: 0, failedAttempts: 0, rejectedRows: 0 };

  constructor(private readonly deps: BatchWriterDeps<R>) {
    this.clock = deps.clock ?? systemClock;
  }

  async write(rows: readonly R[]): Promise<void> {
    if (this.closing) throw closedError();
    if (rows.length === 0) return;
    while (mustWait(this.pendingRows, rows.length, this.deps.flush)) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
      if (this.closing) throw closedError();
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ rows, at: this.clock.now(), resolve, reject });
      this.pendingRows += rows.length;
      this.schedule();
    });
  }

  stats(): BatchWriterStats {
    return { pendingRows: this.pendingRows, ...this.counters };
  }

  /**
   * Stops taking writes, flushes what is queued (once; no backoff), and rejects whatever could
   * not be flushed with a retryable error, so its writers leave their input unacknowledged.
   */
  close(): Promise<void> {
    this.closed ??= this.drain();
    return this.closed;
  }

  private async drain(): Promise<void> {
    this.closing = true;
    for (const wake of this.spaceWaiters.splice(0)) wake();
    this.cancelTimer();
    if (this.inFlight) await this.inFlight;
    this.attempts = 0; // one more attempt for whatever is queued, whatever happened before
    this.retryAt = undefined;
    while (this.inFlight || this.queue.length > 0) {
      if (this.inFlight) {
        await this.inFlight;
        continue;
      }
      if (this.attempts > 0) {
        this.failHead(this.queue.length, closedError());
        break;
      }
      this.startFlush();
    }
  }

  private schedule(): void {
    if (this.inFlight) return;
    this.cancelTimer();
    const action = nextFlushAction(
      {
        pendingRows: this.pendingRows,
        oldestAt: this.queue[0]?.at,
        retryAt: this.retryAt,
        inFlight: false,
        closing: this.closing,
      },
      this.clock.now(),
      this.deps.flush,
    );
    if (action.kind === 'flush') this.startFlush();
    else if (action.kind === 'wait') {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, action.ms);
    }
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private startFlush(): void {
    const n = takeCount(
      this.queue.map((e) => e.rows.length),
      this.deps.flush.autoFlushRows,
      this.isolateLeft > 0,
    );
    if (n === 0) return;
    this.inFlight = this.flushHead(n).finally(() => {
      this.inFlight = undefined;
      if (!this.closing) this.schedule();
    });
  }

  private async flushHead(n: number): Promise<void> {
    const batch = this.queue.slice(0, n);
    const rows = batch.length === 1 ? (batch[0] as Entry<R>).rows : batch.flatMap((e) => e.rows);
    try {
      await this.deps.send(rows);
    } catch (err) {
      try {
        this.onFailed(err, n, rows.length);
      } catch (hookErr) {
        // a throwing classify/onFailure hook must not wedge the queue: back off and retry
        this.retryAt = this.clock.now() + backoffDelay(Math.max(1, this.attempts), this.deps.retry);
        void hookErr;
      }
      return;
    }
    this.attempts = 0;
    this.retryAt = undefined;
    if (this.isolateLeft > 0) this.isolateLeft--;
    this.counters.flushes++;
    this.counters.rowsFlushed += rows.length;
    this.removeHead(n);
    for (const e of batch) e.resolve();
  }

  private onFailed(err: unknown, n: number, rows: number): void {
    const kind = this.deps.classify(err);
    this.counters.failedAttempts++;
    this.attempts++;
    if (kind === 'reject') {
      this.deps.onFailure?.(err, { attempt: this.attempts, kind, rows });
      this.attempts = 0;
      this.retryAt = undefined;
      if (n > 1) {
        this.isolateLeft = n; // retry these writes one by one
        return;
      }
      if (this.isolateLeft > 0) this.isolateLeft--;
      this.counters.rejectedRows += rows;
      this.failHead(1, isGanzhiError(err) ? err : new GanzhiError('GANZHI_ERR_STORE_QUERY', 'rows rejected', { cause: err }));
      return;
    }
    if (exhausted(this.attempts, this.deps.retry)) {
      this.deps.onFailure?.(err, { attempt: this.attempts, kind, rows });
      this.attempts = 0;
      this.retryAt = undefined;
      this.failHead(n, new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', 'gave up after retries', { cause: err }));
      return;
    }
    const wait = backoffDelay(this.attempts, this.deps.retry);
    this.retryAt = this.clock.now() + wait;
    this.deps.onFailure?.(err, { attempt: this.attempts, kind, rows, retryInMs: wait });
  }

  private failHead(n: number, err: unknown): void {
    const failed = this.queue.slice(0, n);
    this.removeHead(n);
    for (const e of failed) e.reject(err);
  }

  private removeHead(n: number): void {
    const removed = this.queue.splice(0, n);
    for (const e of removed) this.pendingRows -= e.rows.length;
    for (const wake of this.spaceWaiters.splice(0)) wake();
  }
}

function closedError(): GanzhiError {
  return new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', 'store is closed');
}
