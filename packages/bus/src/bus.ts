import type { TopicName, TopicValue } from '@ganzhi/schemas';

/** A record to publish. The key decides the partition; records with one key keep their order. */
export interface BusRecord<T> {
  readonly key: string;
  readonly value: T;
}

/** A record as delivered to a consumer. */
export interface Delivery<T> {
  readonly topic: TopicName;
  readonly partition: number;
  /** Position in the partition, as a decimal string (Kafka offsets exceed 2^53 in principle). */
  readonly offset: string;
  readonly key: string;
  readonly value: T;
  /** Append time, ms epoch. */
  readonly timestamp: number;
}

/**
 * A batch handler. Resolving acknowledges every record of the batch: the consumer group's
 * position moves past them, durably, and they are not delivered again. Throwing acknowledges
 * nothing: a retryable error (see `isRetryable`) redelivers the batch after a backoff; a
 * non-retryable one sends each record of the batch to the dead-letter topic and moves on.
 *
 * A handler must only resolve once its own outputs are durable (published or written), which is
 * what makes every stage at-least-once.
 *
 * Delivered records (and their values) may be shared with the other groups consuming the topic in
 * the same process: a handler must treat them as read-only and never mutate them.
 */
export type BatchHandler<N extends TopicName> = (batch: readonly Delivery<TopicValue<N>>[]) => Promise<void>;

export type HandlerMap<N extends TopicName> = { readonly [K in N]: BatchHandler<K> };

export interface SubscribeOptions {
  /** Most records handed to one handler call. */
  readonly maxBatch?: number;
  /**
   * Where a group with no committed position starts: the earliest retained record (default)
   * or only records appended after the subscription.
   */
  readonly start?: 'earliest' | 'latest';
  /**
   * Called after each (re)assignment of partitions to this member, before any record of the new
   * assignment is handled. A stateful stage reloads its state here: the partitions it now owns
   * may have been processed by another instance since it last looked (their state is in the
   * stage's state log). Throwing delays the assignment's records and calls it again after a
   * backoff. The embedded bus has one consumer per group that owns everything from the start,
   * so it never calls it.
   */
  readonly onAssigned?: () => Promise<void>;
  /**
   * The bus may fetch (and queue, for the next handler call) further records while a handler
   * call runs; handler calls still come one at a time, in order per partition, and a record is
   * still acknowledged only once a call containing it resolved. For a stage whose handler waits
   * to gather work (the writer's store commits) and has no per-partition state. The Kafka bus
   * otherwise fetches only between handler calls; the embedded bus always hands a call what
   * queued meanwhile, so it ignores this.
   */
  readonly prefetch?: boolean;
}

export interface Subscription {
  /** Stop delivering; resolves when the in-flight handler call (if any) has finished. */
  close(): Promise<void>;
}

/**
 * The bus. Delivery is at-least-once: a record is redelivered until a handler call that contained
 * it resolves. Records that cannot be decoded are never handed to a handler: they go to
 * `ganzhi.deadletter.v1` with code GANZHI_ERR_BUS_DECODE. The Kafka bus also checks every record
 * against its topic's schema (other producers can write to a cluster's topics); the embedded bus
 * carries only records its own process produced and checksummed, validated where they entered.
 */
export interface Bus {
  /**
   * Appends records; resolves once all of them are durable (on disk / acknowledged by the brokers).
   * It may first wait while the topic's consumers lag too far behind (backpressure, see the
   * embedded bus's `maxLag`): callers await it rather than buffer.
   */
  publish<N extends TopicName>(topic: N, records: readonly BusRecord<TopicValue<N>>[]): Promise<void>;
  /** Consumes topics as a consumer group; one handler per topic. */
  subscribe<N extends TopicName>(group: string, handlers: HandlerMap<N>, options?: SubscribeOptions): Promise<Subscription>;
  /** A keyed, durable state log (a compacted changelog) for a stateful stage. */
  stateLog<T>(name: string, decode: (value: unknown) => T, options?: StateLogOptions): Promise<StateLog<T>>;
  close(): Promise<void>;
}

export interface StateLogOptions {
  /**
   * The state is written between a stage's outputs and the acknowledgement of its input (as
   * `StateCache` does): `put` may resolve once written, and the bus makes it durable before it
   * commits any consumer position (the embedded bus's checkpoint). The Kafka bus ignores it
   * unless the state is also `derived`.
   */
  readonly deferSync?: boolean;
  /**
   * With deferSync: the state is a pure function of the stage's input since its last committed
   * position, and its outputs are deduplicated downstream (the rule evaluator's state), so it may
   * be lost with the process and derived again. The embedded bus then keeps its writes in memory
   * until the checkpoint, which writes them after every topic is synced; the Kafka bus holds the
   * latest value per key and writes them before each consumer commit of the bus, at least every
   * commit interval, and before a restore (`put` resolves at once). Not for state that
   * records side effects (the notifier's outbox) or stamps what it publishes (the alert manager's
   * audit chain).
   */
  readonly derived?: boolean;
}

/**
 * A stage's keyed state, made durable as a changelog: `restore` reads back the latest value for
 * every key; `put` (and `delete`) resolve once the change is durable. A stage writes its state
 * after publishing its outputs and before acknowledging its input, so a crash replays input
 * against the state that produced the outputs, or an older one, never a newer one.
 */
export interface StateLog<T> {
  restore(): Promise<Map<string, T>>;
  put(entries: readonly { key: string; value: T | null }[]): Promise<void>;
}
