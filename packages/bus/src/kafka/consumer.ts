import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { isRetryable } from '@ganzhi/schemas';
import { codeOf as parkedCode, failureKind, isolatePoison, messageOf as parkedMessage, type Poisoned } from '../isolate';
import type { TopicName, TopicValue } from '@ganzhi/schemas';
import type { Logger } from '@ganzhi/log';
import type { BatchHandler, Delivery, HandlerMap, SubscribeOptions, Subscription } from '../bus';
import type { OutRecord } from './batcher';
import { codeOf, deadLetterFor, messageOf } from './codec';
import type { DecodeCache } from './decode-cache';
import type { RequestCounter } from './requests';
import type { FetchedRecord } from './codec';
import { describe, unavailable } from './errors';
import { Gatherer } from './gather';
import type { ResolvedOptions } from './options';

export interface ConsumerStats {
  /** Records handed to handlers that resolved. */
  delivered: number;
  /** Records sent to the dead-letter topic (undecodable, or their handler failed for good). */
  deadLettered: number;
  /** Chunks left unacknowledged after a retryable failure, to be delivered again after a backoff. */
  handlerRetries: number;
}

export interface SubscriptionContext {
  readonly kafka: Kafka;
  readonly options: ResolvedOptions;
  readonly log: Logger;
  readonly stats: ConsumerStats;
  /** Decoded records shared with the bus's other subscriptions (same cluster, same positions). */
  readonly decoded: DecodeCache;
  /** Counts the requests of the subscription's consumer. */
  readonly requests: RequestCounter;
  /** Publishes dead letters; resolves once they are acknowledged. */
  deadLetter(records: readonly OutRecord[]): Promise<void>;
  /** Makes the bus's deferred (derived) state durable; called before every offset commit. */
  beforeCommit(): Promise<void>;
}

const DEFAULT_MAX_BATCH = 500;
/**
 * Partition batches handled at once (kafkajs `partitionsConsumedConcurrently`): every partition of
 * a fetch hands its chunk to the gatherer together, so the handler sees them in one call.
 */
const CONCURRENT_PARTITIONS = 64;

/**
 * `parked`: records the handler failed on with a poison error, to go to the dead-letter topic (the
 * others were handled). `stale`: a prefetched chunk dropped unhandled (its partition was rewound
 * or reassigned, or the subscription is closing); it is fetched again.
 */
type Outcome = { kind: 'done'; parked?: readonly Poisoned<Delivery<unknown>>[] } | { kind: 'retry'; error: unknown } | { kind: 'failed'; error: unknown } | { kind: 'stale' };
const STALE: Outcome = { kind: 'stale' };
const errorOf = (o: Outcome): unknown => (o.kind === 'retry' || o.kind === 'failed' ? o.error : undefined);
/** With `prefetch`: records fetched ahead of the handler at most, in handler batches (then the fetching waits). */
const PREFETCH_BATCHES = 4;

/** Attempts at a partition's batch failing with a transient (not an outage) error before its records at fault are parked. */
const MAX_TRANSIENT_ATTEMPTS = 20;
const tpOf = (d: { topic: string; partition: number }) => `${d.topic}/${d.partition}`;

/**
 * One kafkajs consumer for a group, subscribed to every topic of the handler map. Each fetched
 * batch is decoded, handed to its topic's handler in chunks of `maxBatch`, and its offsets are
 * resolved and committed only after the handler resolved (and any dead letters are acknowledged).
 */
export async function openSubscription<N extends TopicName>(
  ctx: SubscriptionContext,
  group: string,
  handlers: HandlerMap<N>,
  options: SubscribeOptions = {},
): Promise<Subscription> {
  const { kafka, options: o } = ctx;
  const log = ctx.log.child({ group });
  const topics = Object.keys(handlers) as N[];
  const maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);
  const prefix = o.topicPrefix;
  const consumer = kafka.consumer({
    groupId: `${prefix}${group}`,
    sessionTimeout: o.sessionTimeoutMs,
    heartbeatInterval: o.heartbeatIntervalMs,
    rebalanceTimeout: Math.max(o.sessionTimeoutMs, 10_000),
    maxWaitTimeInMs: o.maxWaitMs,
    allowAutoTopicCreation: true,
  });
  consumer.on(consumer.events.REQUEST, ctx.requests.listenerFor(group));
  consumer.on(consumer.events.CRASH, (e) => {
    log.error({ err: describe(e.payload.error), restart: e.payload.restart }, 'kafka consumer crashed');
  });

  // Every group join is a new generation; the first batches of a generation first let the stage
  // reload its state (`onAssigned`, once per generation), since partitions may have moved.
  let generation = 0;
  let prepared = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    generation++;
    // What was handled under the previous assignment is no longer ours to commit (a partition
    // kept is fetched again from its committed offset).
    handled.clear();
    sent.clear();
  });

  // With `prefetch`, kafkajs' resolved offsets (its fetch positions) run ahead of the handler:
  // offsets are committed from `handled` only. A chunk whose handler call asked for a retry
  // rewinds its partition (seek to the chunk's first record, then a backoff); the chunks of that
  // partition fetched after it carry the old epoch and are dropped unhandled.
  const prefetch = options.prefetch === true;
  /** Per partition (`topic|partition`, physical topic): the next offset to commit, i.e. everything before it was handled. */
  const handled = new Map<string, { topic: string; partition: number; offset: string }>();
  /** Per partition: the offset last committed from `handled`. */
  const sent = new Map<string, string>();
  /** Per partition: bumped when it is rewound after a retryable failure. */
  const epochs = new Map<string, number>();
  /** Prefetched chunks not yet settled, and their records (bounded by PREFETCH_BATCHES x maxBatch). */
  const pending = new Set<Promise<void>>();
  let pendingRecords = 0;
  let room: (() => void)[] = [];
  let lastCommitAt = Date.now();

  /** Per partition: consecutive retryable failures, for the backoff. */
  const failures = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();

  /** One handler call for the pieces the gatherer merged (one topic); never rejects. */
  /** Partitions whose batch failed MAX_TRANSIENT_ATTEMPTS times in a row with a transient error. */
  const exhausted = new Set<string>();
  const call = async (topic: string, deliveries: readonly Delivery<unknown>[]): Promise<Outcome> => {
    const handler = handlers[topic as N] as BatchHandler<N>;
    const run = (part: readonly Delivery<unknown>[]) => handler(part as readonly Delivery<TopicValue<N>>[]);
    // Poison records are found (the batch halved until they are alone) and parked; the rest is handled.
    const poison = (err: unknown) => {
      const kind = failureKind(err);
      return kind === 'poison' || (kind === 'transient' && deliveries.every((d) => exhausted.has(tpOf(d))));
    };
    let parked: Poisoned<Delivery<unknown>>[] = [];
    const outcome = await attempt(async () => {
      parked = await isolatePoison(deliveries, run, poison);
    });
    if (outcome.kind === 'done' && parked.length > 0) {
      log.error({ topic, codes: [...new Set(parked.map((p) => parkedCode(p.error)))], records: parked.length, of: deliveries.length }, 'records the stage failed on were parked in the dead-letter topic');
      return { kind: 'done', parked };
    }
    if (prefetch && outcome.kind === 'retry') {
      // Rewind now, before the gatherer takes its next call: the chunks of these partitions
      // queued behind this call are then dropped (their epoch is old), not handled out of order.
      const firsts = new Map<number, string>();
      for (const d of deliveries) if (!firsts.has(d.partition)) firsts.set(d.partition, d.offset);
      for (const [partition, offset] of firsts) rewind(topic as N, partition, offset, outcome.error);
    }
    return outcome;
  };
  const gatherer = new Gatherer<Delivery<unknown>, Outcome>(maxBatch, call, STALE);

  /**
   * Handles one chunk of a partition: decodes it, has the gatherer hand it to the handler (with
   * the chunks of other partitions fetched at the same time), writes dead letters. Returns the
   * retryable error when the chunk must be delivered again later; nothing of it is acknowledged then.
   */
  const chunk = async (topic: N, records: readonly FetchedRecord[], wanted?: () => boolean): Promise<Outcome> => {
    const deliveries: Delivery<TopicValue<N>>[] = [];
    const letters: OutRecord[] = [];
    const now = Date.now();
    for (const r of records) {
      const d = ctx.decoded.decode(topic, r);
      if (d.ok) deliveries.push(d.delivery);
      else letters.push(deadLetterFor(group, r, 'GANZHI_ERR_BUS_DECODE', d.reason, now));
    }
    if (deliveries.length > 0) {
      const outcome = await gatherer.submit(topic, deliveries, wanted);
      if (outcome.kind === 'retry' || outcome.kind === 'stale') return outcome;
      if (outcome.kind === 'failed') {
        const at = Date.now();
        const failed = new Set(deliveries.map((d) => d.offset));
        for (const r of records) {
          if (failed.has(r.offset)) letters.push(deadLetterFor(group, r, codeOf(outcome.error), messageOf(outcome.error), at));
        }
      } else {
        // the gatherer may have merged other partitions' chunks into the call: park ours only
        const mine = new Map((outcome.parked ?? []).filter((p) => p.item.topic === topic && records.some((r) => r.partition === p.item.partition && r.offset === p.item.offset)).map((p) => [p.item.offset, p.error]));
        const at = Date.now();
        for (const r of records) {
          const error = mine.get(r.offset);
          if (error !== undefined) letters.push(deadLetterFor(group, r, parkedCode(error), parkedMessage(error), at));
        }
        ctx.stats.delivered += deliveries.length - mine.size;
      }
    }
    if (letters.length > 0) {
      const sent = await attempt(() => ctx.deadLetter(letters));
      // Dead letters that cannot be written leave the chunk unacknowledged: it comes again.
      if (sent.kind !== 'done') return { kind: 'retry', error: errorOf(sent) };
      ctx.stats.deadLettered += letters.length;
    }
    return { kind: 'done' };
  };

  /** Pauses a partition for `wait` ms (its unresolved records are fetched again after it). */
  const backOff = (p: EachBatchPayload, wait: number): void => {
    const resume = p.pause();
    const timer = setTimeout(() => {
      timers.delete(timer);
      resume();
    }, wait);
    timers.add(timer);
  };

  /** The `onAssigned` call of the current generation, shared by the partitions fetched concurrently. */
  let preparing: { generation: number; result: Promise<Outcome> } | undefined;
  const prepare = async (): Promise<Outcome> => {
    if (!options.onAssigned || prepared === generation) return { kind: 'done' };
    if (preparing?.generation !== generation) preparing = { generation, result: attempt(() => options.onAssigned!()) };
    const current = preparing;
    const ready = await current.result;
    if (ready.kind === 'done') prepared = Math.max(prepared, current.generation);
    else if (preparing === current) preparing = undefined; // the next batch tries again
    return ready;
  };

  // Offsets are committed at most every commitIntervalMs (after a batch, or by the timer when
  // the stream pauses) and when the subscription closes; they only ever cover resolved records.
  let active = 0;
  let quiet: (() => void)[] = [];
  let closing = false;
  let last: EachBatchPayload | undefined;
  // One commit at a time: the partitions of a fetch finish together, and kafkajs only marks the
  // interval as passed once a commit has returned, so each of them would send the same commit.
  let committing: Promise<void> | undefined;
  const commit = async (force: boolean): Promise<void> => {
    if (committing) {
      if (!force) return;
      await committing;
    }
    const p = last;
    if (!p) return;
    if (!force && Date.now() - lastCommitAt < o.commitIntervalMs) return;
    // What to commit is fixed before the deferred state is written: that write then covers the
    // state of every record these offsets cover (their handler calls put it before resolving).
    const offsets = prefetch ? handledOffsets() : p.uncommittedOffsets();
    if (offsets.topics.length === 0) return;
    committing = (async () => {
      try {
        lastCommitAt = Date.now();
        await ctx.beforeCommit();
        await p.commitOffsetsIfNecessary(offsets);
        if (prefetch) for (const t of offsets.topics) for (const { partition, offset } of t.partitions) sent.set(`${t.topic}|${partition}`, offset);
      } catch (err) {
        // A commit refused during a rebalance: the records are delivered again (at least once).
        log.debug({ err: describe(err) }, 'committing offsets failed');
      }
    })();
    try {
      await committing;
    } finally {
      committing = undefined;
    }
  };

  /** The handled offsets not committed yet, by topic. */
  const handledOffsets = () => {
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const [tp, h] of handled) {
      if (sent.get(tp) === h.offset) continue;
      let list = byTopic.get(h.topic);
      if (!list) byTopic.set(h.topic, (list = []));
      list.push({ partition: h.partition, offset: h.offset });
    }
    return { topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) };
  };

  /**
   * Prefetch: a partition whose chunk must be handled again. Its later chunks (fetched ahead) are
   * dropped unhandled; it is paused for the backoff and fetched again from `from`.
   */
  const rewind = (topic: N, partition: number, from: string, error: unknown): void => {
    const physical = `${prefix}${topic}`;
    const key = `${physical}|${partition}`;
    epochs.set(key, (epochs.get(key) ?? 0) + 1);
    const tp = `${topic}|${partition}`;
    const n = (failures.get(tp) ?? 0) + 1;
    failures.set(tp, n);
    if (n >= MAX_TRANSIENT_ATTEMPTS) exhausted.add(`${topic}/${partition}`);
    ctx.stats.handlerRetries += 1;
    const wait = Math.min(o.retryInitialMs * 2 ** Math.min(n - 1, 20), o.retryMaxMs);
    if (n === 1) log.warn({ topic, partition, err: messageOf(error), wait }, 'batch failed with a retryable error; redelivering after a backoff');
    const partitions = [{ topic: physical, partitions: [partition] }];
    try {
      consumer.pause(partitions);
      consumer.seek({ topic: physical, partition, offset: from });
    } catch (err) {
      log.debug({ err: describe(err) }, 'rewinding a partition failed (the consumer stopped)');
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      try {
        consumer.resume(partitions);
      } catch {
        // stopped meanwhile
      }
    }, wait);
    timers.add(timer);
  };

  /**
   * Prefetch: hands a chunk to the gatherer without waiting for its handler call; its outcome is
   * settled later. Waits first while PREFETCH_BATCHES x maxBatch records are unsettled. False
   * when the chunk was not submitted (its partition was rewound meanwhile, or the subscription closes).
   */
  const submitAhead = async (p: EachBatchPayload, topic: N, slice: readonly KafkaMessage[]): Promise<boolean> => {
    const { batch } = p;
    const key = `${batch.topic}|${batch.partition}`;
    // The epoch the records were fetched in (a rewind while waiting for room makes them stale).
    const epoch = epochs.get(key) ?? 0;
    const gen = generation;
    const fresh = () => generation === gen && (epochs.get(key) ?? 0) === epoch;
    const current = () => !closing && fresh();
    while (pendingRecords >= PREFETCH_BATCHES * maxBatch && current()) await new Promise<void>((r) => room.push(r));
    if (!current()) return false;
    const first = slice[0]!.offset;
    const next = (BigInt(slice[slice.length - 1]!.offset) + 1n).toString();
    pendingRecords += slice.length;
    const settled = chunk(topic, slice.map((m) => fetched(topic, batch.partition, m)), current).then((outcome) => {
      if (outcome.kind === 'stale' || !fresh()) return;
      const tp = `${topic}|${batch.partition}`;
      // handled: committed, also when the subscription is closing (its last commit covers it)
      if (outcome.kind === 'done') {
        handled.set(key, { topic: batch.topic, partition: batch.partition, offset: next });
        failures.delete(tp);
        exhausted.delete(`${topic}/${batch.partition}`);
        return;
      }
      // a dead-letter write failed (a failed handler call rewound in `call` already)
      if (!closing) rewind(topic, batch.partition, first, errorOf(outcome));
    });
    const done = settled.finally(() => {
      pending.delete(done);
      pendingRecords -= slice.length;
      const r = room;
      room = [];
      for (const f of r) f();
    });
    pending.add(done);
    // kafkajs fetches on from after this chunk; the commit only covers it once handled.
    p.resolveOffset(slice[slice.length - 1]!.offset);
    return true;
  };

  const eachBatch = async (p: EachBatchPayload): Promise<void> => {
    active++;
    try {
      await handleBatch(p);
    } finally {
      active--;
      if (active === 0) {
        const q = quiet;
        quiet = [];
        for (const f of q) f();
      }
    }
  };

  const handleBatch = async (p: EachBatchPayload): Promise<void> => {
    const { batch } = p;
    const topic = batch.topic.slice(prefix.length) as N;
    const tp = `${topic}|${batch.partition}`;
    const messages = batch.messages;
    if (closing) {
      p.pause();
      return;
    }
    last = p;
    const ready = await prepare();
    if (ready.kind !== 'done') {
      log.warn({ err: messageOf(errorOf(ready)) }, 'reloading state after a rebalance failed; retrying');
      backOff(p, o.retryInitialMs);
      return;
    }
    for (let i = 0; i < messages.length; i += maxBatch) {
      if (!p.isRunning() || p.isStale() || closing) break;
      const slice = messages.slice(i, i + maxBatch);
      if (prefetch) {
        if (!(await submitAhead(p, topic, slice))) break;
        continue;
      }
      const outcome = await chunk(topic, slice.map((m) => fetched(topic, batch.partition, m)));
      if (outcome.kind !== 'done') {
        // Back off on this partition only: pause it, leave the rest of the batch unresolved (the
        // next fetch after the resume starts at the first unacknowledged record), and let the
        // other partitions go on.
        const n = (failures.get(tp) ?? 0) + 1;
        failures.set(tp, n);
        if (n >= MAX_TRANSIENT_ATTEMPTS) exhausted.add(`${topic}/${batch.partition}`);
        ctx.stats.handlerRetries += 1;
        const wait = Math.min(o.retryInitialMs * 2 ** Math.min(n - 1, 20), o.retryMaxMs);
        if (n === 1) log.warn({ topic, partition: batch.partition, err: messageOf(errorOf(outcome)), wait }, 'batch failed with a retryable error; redelivering after a backoff');
        backOff(p, wait);
        break;
      }
      failures.delete(tp);
      exhausted.delete(`${topic}/${batch.partition}`);
      p.resolveOffset(slice[slice.length - 1]!.offset);
    }
    await commit(false);
  };

  // Joining can fail for reasons that pass (a group still rebalancing, a broker answering a
  // sync out of turn): try a few times with a backoff before giving up on the subscription.
  const attempts = 5;
  for (let n = 1; ; n++) {
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: topics.map((t) => `${prefix}${t}`), fromBeginning: options.start !== 'latest' });
      const ready = whenAssigned(consumer, o.readyTimeoutMs);
      await consumer.run({
        eachBatch,
        eachBatchAutoResolve: false,
        // kafkajs' autoCommit commits after every partition batch; we commit ourselves (above).
        autoCommit: false,
        autoCommitInterval: o.commitIntervalMs,
        partitionsConsumedConcurrently: CONCURRENT_PARTITIONS,
      });
      await ready;
      break;
    } catch (err) {
      await consumer.disconnect().catch(() => undefined);
      if (n >= attempts) throw unavailable(`subscribe of group ${group}`, err);
      const wait = Math.min(o.retryInitialMs * 2 ** n, o.retryMaxMs);
      log.warn({ err: describe(err), attempt: n, wait }, 'joining the consumer group failed; trying again');
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  const ticker = setInterval(() => {
    if (!closing && active === 0) void commit(false);
  }, o.commitIntervalMs);
  ticker.unref();

  let closed: Promise<void> | undefined;
  const shutdown = async (): Promise<void> => {
    closing = true;
    clearInterval(ticker);
    if (active > 0) await new Promise<void>((resolve) => quiet.push(resolve));
    await gatherer.idle();
    while (pending.size > 0) await Promise.allSettled([...pending]);
    await commit(true);
    await consumer.disconnect();
  };
  return {
    close() {
      closed ??= shutdown().finally(() => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
      });
      return closed;
    },
  };
}

/**
 * Resolves once the group has assigned this member its partitions and their start positions are
 * fixed (the first fetch after the join resolves them), so a record published after subscribe()
 * returns is seen even with `start: 'latest'`.
 */
function whenAssigned(consumer: Consumer, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let joined = false;
    const offs: (() => void)[] = [];
    const timer = setTimeout(() => finish(new Error(`no partition assignment within ${timeoutMs} ms`)), timeoutMs);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      for (const off of offs) off();
      if (err) reject(err);
      else resolve();
    };
    offs.push(
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        joined = true;
        if (Object.values(e.payload.memberAssignment).every((ps) => ps.length === 0)) finish();
      }),
      consumer.on(consumer.events.FETCH, () => {
        if (joined) finish();
      }),
      consumer.on(consumer.events.CRASH, (e) => {
        if (!e.payload.restart) finish(e.payload.error);
      }),
    );
  });
}

/** One call of a handler (or dead-letter write), classified by `isRetryable`. */
async function attempt(fn: () => Promise<void>): Promise<Outcome> {
  try {
    await fn();
    return { kind: 'done' };
  } catch (error) {
    return isRetryable(error) ? { kind: 'retry', error } : { kind: 'failed', error };
  }
}

function fetched(topic: TopicName, partition: number, m: KafkaMessage): FetchedRecord {
  return { topic, partition, offset: m.offset, key: m.key, value: m.value, timestamp: m.timestamp };
}
