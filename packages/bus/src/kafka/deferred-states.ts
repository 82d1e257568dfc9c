import type { OutRecord } from './batcher';
import { toOutRecord } from './codec';

interface Held {
  readonly topic: string;
  readonly key: string;
  readonly value: unknown;
}

/**
 * Writes to derived state logs (`StateLogOptions.derived` with `deferSync`), held back: the
 * latest value per key and topic, written as one batch by `flush`. The Kafka bus flushes before
 * every consumer commit (so a committed position never covers input whose derived state is not
 * durable) and every commit interval; a stage that reads its state back (restore) flushes first.
 * A key written many times between two flushes is written once, and the state topics get few,
 * large record batches instead of one small batch per handler call.
 *
 * One flush at a time: a flush asked while one runs waits for it and then writes what was put
 * meanwhile, so the values of a key reach the topic in order. A failed flush keeps its values
 * (those not replaced since) for the next one.
 */
export class DeferredStates {
  readonly #send: (records: readonly OutRecord[]) => Promise<void>;
  #held = new Map<string, Held>();
  #running: Promise<void> | undefined;

  constructor(send: (records: readonly OutRecord[]) => Promise<void>) {
    this.#send = send;
  }

  /** Values held, not yet being written. */
  get size(): number {
    return this.#held.size;
  }

  put(topic: string, entries: readonly { key: string; value: unknown }[]): void {
    for (const e of entries) this.#held.set(`${topic}\u0000${e.key}`, { topic, key: e.key, value: e.value });
  }

  /** Resolves once every value put before the call is acknowledged by the brokers. */
  async flush(): Promise<void> {
    while (this.#running) await this.#running.catch(() => undefined);
    if (this.#held.size === 0) return;
    const batch = this.#held;
    this.#held = new Map();
    const run = this.#send([...batch.values()].map((h) => toOutRecord(h.topic, h.key, h.value))).catch((err: unknown) => {
      for (const [k, h] of batch) if (!this.#held.has(k)) this.#held.set(k, h);
      throw err;
    });
    this.#running = run;
    try {
      await run;
    } finally {
      if (this.#running === run) this.#running = undefined;
    }
  }
}
