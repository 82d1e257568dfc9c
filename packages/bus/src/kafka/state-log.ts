import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { GanzhiError } from '@ganzhi/schemas';
import type { Logger } from '@ganzhi/log';
import type { StateLog } from '../bus';
import { keyOf, toOutRecord } from './codec';
import { describe, unavailable } from './errors';
import type { ResolvedOptions } from './options';
import type { OutRecord } from './batcher';
import type { RequestCounter } from './requests';

export interface StateLogContext {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly options: ResolvedOptions;
  readonly log: Logger;
  readonly requests: RequestCounter;
  send(records: readonly OutRecord[]): Promise<void>;
}

/**
 * A value as read from the changelog, kept as text: it is parsed (and decoded by each caller's
 * own decode) only by `restore`, and only while it is the key's latest value. Most values are
 * overwritten before any restore reads them; text costs the garbage collector less than the
 * object trees JSON.parse would keep alive here.
 */
interface Entry {
  readonly partition: number;
  readonly offset: string;
  readonly text: string;
}

/**
 * A state topic read continuously by one long-lived consumer (a group of its own, never
 * committed, so every join reads from the earliest offset): the latest value of every key, and
 * how far each partition has been read. `restore` then costs one ListOffsets round trip plus
 * whatever other instances wrote since, instead of a group join and a full read per rebalance.
 */
export class StateTail {
  readonly #ctx: StateLogContext;
  readonly #topic: string;
  readonly #values = new Map<string, Entry>();
  /** Per partition: the next offset to read. */
  readonly #positions = new Map<number, bigint>();
  #waiters = new Set<() => void>();
  #consumer: Consumer | undefined;
  #starting: Promise<void> | undefined;
  #failure: unknown;
  /** Group joins of this reader (one per process lifetime unless its session is lost) and restores served. */
  readonly counters = { joins: 0, restores: 0, records: 0 };

  constructor(ctx: StateLogContext, topic: string) {
    this.#ctx = ctx;
    this.#topic = topic;
  }

  /** Joins (once) and starts reading from the earliest offset; resolves once the group assigned the partitions. */
  start(): Promise<void> {
    this.#starting ??= this.#start().catch((err: unknown) => {
      this.#starting = undefined;
      throw err;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    const o = this.#ctx.options;
    const consumer = this.#ctx.kafka.consumer({
      groupId: `${o.topicPrefix}${o.clientId}.state-reader.${this.#topic}.${randomUUID()}`,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      maxWaitTimeInMs: o.stateMaxWaitMs,
      allowAutoTopicCreation: false,
    });
    // Nothing is ever committed: a (re)join starts from the earliest offset, so what was read
    // before is dropped and read again rather than mixed with an older replay.
    consumer.on(consumer.events.REQUEST, this.#ctx.requests.listenerFor(`state:${this.#topic.slice(o.topicPrefix.length)}`));
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.counters.joins++;
      this.#values.clear();
      this.#positions.clear();
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) {
        this.#failure = e.payload.error;
        this.#wake();
      }
    });
    this.#consumer = consumer;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [this.#topic], fromBeginning: true });
      await consumer.run({ autoCommit: false, partitionsConsumedConcurrently: 16, eachBatch: (p) => this.#apply(p) });
    } catch (err) {
      this.#consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw err;
    }
  }

  async #apply({ batch }: EachBatchPayload): Promise<void> {
    this.counters.records += batch.messages.length;
    for (const m of batch.messages) {
      const key = keyOf(m);
      if (m.value === null) {
        this.#values.delete(key);
        continue;
      }
      this.#values.set(key, { partition: batch.partition, offset: m.offset, text: m.value.toString('utf8') });
    }
    if (!batch.isEmpty()) {
      const next = BigInt(batch.lastOffset()) + 1n;
      if (next > (this.#positions.get(batch.partition) ?? 0n)) this.#positions.set(batch.partition, next);
    }
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = new Set();
    for (const f of w) f();
  }

  /** Resolves once every partition has been read up to `ends` (its high watermarks when asked). */
  async #caughtUp(ends: Map<number, bigint>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const behind = () => [...ends].filter(([p, end]) => (this.#positions.get(p) ?? 0n) < end);
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure;
      const left = behind();
      if (left.length === 0) return;
      const wait = deadline - Date.now();
      if (wait <= 0) throw new Error(`not read to its end within ${timeoutMs} ms (partitions ${left.map(([p]) => p).join(',')} behind)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(wait, 1_000));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#waiters.add(done);
      });
    }
  }

  /** The latest value of every key, read up to the high watermarks of this moment. */
  async restore<T>(decode: (value: unknown) => T): Promise<Map<string, T>> {
    const ctx = this.#ctx;
    let ends: Map<number, bigint>;
    try {
      const offsets = await ctx.admin.fetchTopicOffsets(this.#topic);
      ends = new Map(offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
    } catch (err) {
      throw unavailable(`restore of ${this.#topic}: reading its offsets`, err);
    }
    this.counters.restores++;
    const state = new Map<string, T>();
    if (ends.size === 0) return state;
    try {
      await this.start();
      await this.#caughtUp(ends, ctx.options.restoreTimeoutMs);
    } catch (err) {
      throw unavailable(`restore of ${this.#topic}`, err);
    }
    for (const [key, e] of this.#values) {
      try {
        state.set(key, decode(JSON.parse(e.text) as unknown));
      } catch (err) {
        throw new GanzhiError('GANZHI_ERR_BUS_DECODE', `state ${this.#topic} key ${key} at ${e.partition}/${e.offset}: ${describe(err)}`, { cause: err });
      }
    }
    return state;
  }

  async close(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    this.#failure = new GanzhiError('GANZHI_ERR_BUS_CLOSED');
    this.#wake();
    await this.#starting?.catch(() => undefined);
    await consumer?.disconnect().catch((err: unknown) => this.#ctx.log.warn({ err: describe(err) }, 'state reader disconnect failed'));
  }
}


/**
 * A stage's keyed state on a compacted changelog topic. `put` produces keyed JSON values (null is
 * a tombstone) through the bus's batching producer and resolves on acknowledgement; `restore`
 * returns the latest value per key up to the topic's high watermarks at the time of the call,
 * from the topic's StateTail (shared by every StateLog of the topic in this bus).
 */
export function kafkaStateLog<T>(ctx: StateLogContext, topic: string, tail: StateTail, decode: (value: unknown) => T): StateLog<T> {
  return {
    put(entries) {
      return ctx.send(entries.map((e) => toOutRecord(topic, e.key, e.value)));
    },
    restore() {
      return tail.restore(decode);
    },
  };
}
