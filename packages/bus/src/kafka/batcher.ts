/**
 * A micro-batching send queue: kafkajs has no linger, so concurrent publish() calls are gathered
 * here and sent as one produce request. The queue has no I/O of its own: it is given a `send`
 * function (one produce request for a batch) and decides when to call it.
 *
 * - A batch leaves when it holds `maxRecords` records or `maxBytes` bytes, or once its oldest
 *   record has waited `lingerMs`, whichever comes first (Kafka's linger.ms). The linger is only
 *   used while records come often enough to join it (`lingerFromRate`): at a few records a
 *   second a record would wait alone.
 * - One batch is in flight at a time, so records keep their order per key even across retries;
 *   records that arrive meanwhile form the next batch, which leaves once the previous one is
 *   acknowledged and its oldest record has lingered (batches grow with the round trip and the
 *   linger instead of requests piling up: at most one produce request per linger when not full).
 * - The queue is bounded by `maxQueuedRecords`/`maxQueuedBytes`: a caller whose records do not fit
 *   waits (in arrival order) until earlier batches have been acknowledged.
 * - Each caller's promise settles when every one of its records is acknowledged, or with the
 *   first failure among them.
 */

import { RateGatedLinger } from '../rate-window';

export interface OutRecord {
  readonly topic: string;
  readonly key: string;
  /** Encoded value; null is a tombstone. */
  readonly value: Buffer | null;
}

export interface BatcherLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
  readonly lingerMs: number;
  /**
   * Records per second (added in the previous second) from which the linger is used; below it a
   * batch leaves as soon as nothing is in flight. Default: the rate at which half a record is
   * expected within the linger (500 / lingerMs: 50/s for 10 ms); see `RateGatedLinger`.
   */
  readonly lingerFromRate?: number;
  readonly maxQueuedRecords: number;
  readonly maxQueuedBytes: number;
}

export interface BatcherStats {
  /** publish()/put() calls accepted. */
  readonly calls: number;
  readonly records: number;
  /** Batches handed to `send` (one produce request each, retries not counted). */
  readonly batches: number;
  /** Batches that failed after `send` gave up. */
  readonly failedBatches: number;
  /** Records not yet acknowledged: admitted to the queue, in flight, or waiting for room. */
  readonly pendingRecords: number;
  /** Records admitted to the queue or in flight (bounded by maxQueuedRecords, but for one oversized call). */
  readonly queuedRecords: number;
  /** Callers waiting for room in the queue right now. */
  readonly waitingCallers: number;
}

/** Sends one batch; resolves when it is acknowledged; rejects with the error to give its callers. */
export type SendBatch = (records: readonly OutRecord[]) => Promise<void>;

interface Call {
  remaining: number;
  failed: boolean;
  resolve(): void;
  reject(err: unknown): void;
}

interface Entry {
  readonly record: OutRecord;
  readonly bytes: number;
  readonly call: Call;
  /** When add() was called (performance.now()), for the linger. */
  readonly at: number;
}

interface Waiter {
  readonly entries: Entry[];
  readonly bytes: number;
}

export function recordBytes(r: OutRecord): number {
  return Buffer.byteLength(r.key) + (r.value?.length ?? 0) + r.topic.length + 16;
}

export class Batcher {
  readonly #limits: BatcherLimits;
  readonly #send: SendBatch;
  readonly #queue: Entry[] = [];
  readonly #waiters: Waiter[] = [];
  #queuedBytes = 0;
  #inFlight = 0; // records of the batch being sent
  #inFlightBytes = 0;
  #sending = false;
  #timer: NodeJS.Timeout | undefined;
  #idle: (() => void)[] = [];
  #stats = { calls: 0, records: 0, batches: 0, failedBatches: 0 };
  /** The linger, counting records. */
  readonly #linger: RateGatedLinger;

  constructor(limits: BatcherLimits, send: SendBatch) {
    this.#limits = limits;
    this.#linger = new RateGatedLinger(limits.lingerMs, limits.lingerFromRate);
    this.#send = send;
  }

  /** Queues records; resolves when all of them are acknowledged. */
  add(records: readonly OutRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const call: Call = { remaining: records.length, failed: false, resolve, reject };
      let bytes = 0;
      const at = performance.now();
      const entries = records.map((record) => {
        const b = recordBytes(record);
        bytes += b;
        return { record, bytes: b, call, at };
      });
      this.#stats.calls += 1;
      this.#stats.records += records.length;
      this.#linger.count(records.length);
      this.#waiters.push({ entries, bytes });
      this.#admit();
    });
  }

  stats(): BatcherStats {
    return {
      ...this.#stats,
      pendingRecords: this.#queue.length + this.#inFlight + this.#waiters.reduce((n, w) => n + w.entries.length, 0),
      queuedRecords: this.#queue.length + this.#inFlight,
      waitingCallers: this.#waiters.length,
    };
  }

  /** Sends what is queued now, without waiting for the linger; resolves when everything is settled. */
  flush(): Promise<void> {
    this.#clearTimer();
    this.#pump(true);
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #isIdle(): boolean {
    return this.#queue.length === 0 && this.#waiters.length === 0 && !this.#sending;
  }

  /** Moves waiting callers into the queue, in order, while they fit (an oversized one when empty). */
  #admit(): void {
    const { maxQueuedRecords, maxQueuedBytes } = this.#limits;
    while (this.#waiters.length > 0) {
      const w = this.#waiters[0]!;
      const records = this.#queue.length + this.#inFlight;
      const bytes = this.#queuedBytes + this.#inFlightBytes;
      const empty = records === 0;
      if (!empty && (records + w.entries.length > maxQueuedRecords || bytes + w.bytes > maxQueuedBytes)) break;
      this.#waiters.shift();
      for (const e of w.entries) this.#queue.push(e);
      this.#queuedBytes += w.bytes;
    }
    // While a flush() waits, nothing lingers.
    this.#pump(this.#idle.length > 0);
  }

  #pump(force: boolean): void {
    if (this.#sending || this.#queue.length === 0) {
      if (this.#isIdle()) this.#notifyIdle();
      return;
    }
    const full = this.#queue.length >= this.#limits.maxRecords || this.#queuedBytes >= this.#limits.maxBytes;
    // The oldest queued record's linger (it may have waited through the previous round trip).
    const wait = this.#linger.ms - (performance.now() - this.#queue[0]!.at);
    if (force || full || wait <= 0) {
      this.#clearTimer();
      void this.#sendNext();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#pump(true);
    }, wait);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #sendNext(): Promise<void> {
    const batch = this.#take();
    this.#sending = true;
    this.#stats.batches += 1;
    let error: unknown;
    let ok = true;
    try {
      await this.#send(batch.map((e) => e.record));
    } catch (err) {
      ok = false;
      error = err;
      this.#stats.failedBatches += 1;
    }
    this.#sending = false;
    this.#inFlight = 0;
    this.#inFlightBytes = 0;
    for (const e of batch) settle(e.call, ok, error);
    // Records that queued up during the round trip leave now if they have lingered long enough,
    // else when they have.
    this.#admit();
  }

  #take(): Entry[] {
    const { maxRecords, maxBytes } = this.#limits;
    let count = 0;
    let bytes = 0;
    while (count < this.#queue.length && count < maxRecords) {
      const next = this.#queue[count]!;
      if (count > 0 && bytes + next.bytes > maxBytes) break;
      count += 1;
      bytes += next.bytes;
    }
    const batch = this.#queue.splice(0, count);
    this.#queuedBytes -= bytes;
    this.#inFlight = batch.length;
    this.#inFlightBytes = bytes;
    return batch;
  }

  #notifyIdle(): void {
    const idle = this.#idle;
    this.#idle = [];
    for (const f of idle) f();
  }
}

function settle(call: Call, ok: boolean, error: unknown): void {
  if (call.failed) return;
  if (!ok) {
    call.failed = true;
    call.reject(error);
    return;
  }
  call.remaining -= 1;
  if (call.remaining === 0) call.resolve();
}
