/**
 * Gathers the pieces that concurrent partition batches hand in and passes them to the handler in
 * as few calls as `maxBatch` allows: one handler call at a time per subscription; pieces that
 * arrive while a call runs (or in the same tick as the first one) go into the next call, merged
 * per topic in arrival order. Each submitter gets the outcome of the call its piece was part of.
 *
 * kafkajs calls eachBatch once per partition, and a fetch returns at most one batch per
 * partition; without this, a handler with a fixed cost per call (a store write, a produce round
 * trip) pays it once per partition per fetch. No I/O here: `call` does the work.
 */

interface Piece<T, R> {
  readonly topic: string;
  readonly items: readonly T[];
  /** Checked when the piece is taken: a piece no longer wanted is dropped, resolving with `stale`. */
  readonly wanted?: () => boolean;
  resolve(outcome: R): void;
}

export type GatherCall<T, R> = (topic: string, items: readonly T[]) => Promise<R>;

export class Gatherer<T, R> {
  readonly #maxBatch: number;
  readonly #call: GatherCall<T, R>;
  readonly #stale: R | undefined;
  readonly #queue: Piece<T, R>[] = [];
  #running = false;
  #idle: (() => void)[] = [];

  /**
   * `call` must not reject: it reports failures through its outcome. `stale` is the outcome of a
   * piece dropped unhandled because its `wanted` check said no (see submit).
   */
  constructor(maxBatch: number, call: GatherCall<T, R>, stale?: R) {
    this.#maxBatch = Math.max(1, maxBatch);
    this.#call = call;
    this.#stale = stale;
  }

  /**
   * Queues a piece (at most maxBatch items); resolves with the outcome of the call that contained
   * it. With `wanted`, the piece is dropped (resolving with the constructor's `stale`) when that
   * returns false at the time the piece would go into a call.
   */
  submit(topic: string, items: readonly T[], wanted?: () => boolean): Promise<R> {
    return new Promise<R>((resolve) => {
      this.#queue.push(wanted ? { topic, items, wanted, resolve } : { topic, items, resolve });
      if (!this.#running) {
        this.#running = true;
        // Let the other partitions of the same fetch hand in their pieces first.
        setImmediate(() => void this.#drain());
      }
    });
  }

  /** Resolves once no piece is queued and no call is running. */
  idle(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      this.#dropUnwanted();
      if (this.#queue.length === 0) break;
      const taken = this.#take();
      const items = taken.length === 1 ? taken[0]!.items : taken.flatMap((p) => p.items);
      const outcome = await this.#call(taken[0]!.topic, items);
      for (const p of taken) p.resolve(outcome);
    }
    this.#running = false;
    const idle = this.#idle;
    this.#idle = [];
    for (const f of idle) f();
  }

  #dropUnwanted(): void {
    for (let i = 0; i < this.#queue.length; ) {
      const p = this.#queue[i]!;
      if (p.wanted && !p.wanted()) {
        this.#queue.splice(i, 1);
        p.resolve(this.#stale as R);
      } else {
        i++;
      }
    }
  }

  /**
   * The oldest piece, and after it the queued pieces of its topic while they fit in maxBatch (up
   * to the first that does not: pieces of one partition may follow each other in the queue, and
   * must reach the handler in their order).
   */
  #take(): Piece<T, R>[] {
    const first = this.#queue.shift()!;
    const taken = [first];
    let count = first.items.length;
    for (let i = 0; i < this.#queue.length && count < this.#maxBatch; ) {
      const p = this.#queue[i]!;
      if (p.topic !== first.topic) {
        i++;
        continue;
      }
      if (count + p.items.length > this.#maxBatch) break;
      taken.push(p);
      count += p.items.length;
      this.#queue.splice(i, 1);
    }
    return taken;
  }
}
