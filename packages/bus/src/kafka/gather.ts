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
  resolve(outcome: R): void;
}

export type GatherCall<T, R> = (topic: string, items: readonly T[]) => Promise<R>;

export class Gatherer<T, R> {
  readonly #maxBatch: number;
  readonly #call: GatherCall<T, R>;
  readonly #queue: Piece<T, R>[] = [];
  #running = false;
  #idle: (() => void)[] = [];

  /** `call` must not reject: it reports failures through its outcome. */
  constructor(maxBatch: number, call: GatherCall<T, R>) {
    this.#maxBatch = Math.max(1, maxBatch);
    this.#call = call;
  }

  /** Queues a piece (at most maxBatch items); resolves with the outcome of the call that contained it. */
  submit(topic: string, items: readonly T[]): Promise<R> {
    return new Promise<R>((resolve) => {
      this.#queue.push({ topic, items, resolve });
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

  /** The oldest piece, and after it every queued piece of its topic that still fits in maxBatch. */
  #take(): Piece<T, R>[] {
    const first = this.#queue.shift()!;
    const taken = [first];
    let count = first.items.length;
    for (let i = 0; i < this.#queue.length && count < this.#maxBatch; ) {
      const p = this.#queue[i]!;
      if (p.topic === first.topic && count + p.items.length <= this.#maxBatch) {
        taken.push(p);
        count += p.items.length;
        this.#queue.splice(i, 1);
      } else {
        i++;
      }
    }
    return taken;
  }
}
