import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { isRetryable } from '@ganzhi/schemas';
import type { TopicName, TopicValue } from '@ganzhi/schemas';
import type { Logger } from '@ganzhi/log';
import type { BatchHandler, Delivery, HandlerMap, SubscribeOptions, Subscription } from '../bus';
import type { OutRecord } from './batcher';
import { codeOf, deadLetterFor, decodeRecord, messageOf } from './codec';
import type { FetchedRecord } from './codec';
import { delay, describe, unavailable } from './errors';
import type { ResolvedOptions } from './options';

export interface ConsumerStats {
  /** Records handed to handlers that resolved. */
  delivered: number;
  /** Records sent to the dead-letter topic (undecodable, or their handler failed for good). */
  deadLettered: number;
  /** Handler calls that threw a retryable error and were repeated. */
  handlerRetries: number;
}

export interface SubscriptionContext {
  readonly kafka: Kafka;
  readonly options: ResolvedOptions;
  readonly log: Logger;
  readonly stats: ConsumerStats;
  /** Publishes dead letters; resolves once they are acknowledged. */
  deadLetter(records: readonly OutRecord[]): Promise<void>;
}

const DEFAULT_MAX_BATCH = 500;

type Outcome = { kind: 'done' } | { kind: 'stopped' } | { kind: 'failed'; error: unknown };

interface BatchControl {
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

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
  const consumer = kafka.consumer({
    groupId: group,
    sessionTimeout: o.sessionTimeoutMs,
    heartbeatInterval: o.heartbeatIntervalMs,
    rebalanceTimeout: Math.max(o.sessionTimeoutMs, 10_000),
    maxWaitTimeInMs: o.maxWaitMs,
    allowAutoTopicCreation: true,
  });
  consumer.on(consumer.events.CRASH, (e) => {
    log.error({ err: describe(e.payload.error), restart: e.payload.restart }, 'kafka consumer crashed');
  });

  const chunk = async (topic: N, records: readonly FetchedRecord[], control: BatchControl): Promise<boolean> => {
    const deliveries: Delivery<TopicValue<N>>[] = [];
    const letters: OutRecord[] = [];
    const now = Date.now();
    for (const r of records) {
      const d = decodeRecord(topic, r);
      if (d.ok) deliveries.push(d.delivery);
      else letters.push(deadLetterFor(group, r, 'GANZHI_ERR_BUS_DECODE', d.reason, now));
    }
    if (deliveries.length > 0) {
      const handler = handlers[topic] as BatchHandler<N>;
      const outcome = await callWithRetry(() => handler(deliveries), control, o, log, ctx.stats);
      if (outcome.kind === 'stopped') return false;
      if (outcome.kind === 'failed') {
        const at = Date.now();
        const failed = new Set(deliveries.map((d) => d.offset));
        for (const r of records) {
          if (failed.has(r.offset)) letters.push(deadLetterFor(group, r, codeOf(outcome.error), messageOf(outcome.error), at));
        }
      } else {
        ctx.stats.delivered += deliveries.length;
      }
    }
    if (letters.length > 0) {
      const sent = await callWithRetry(() => ctx.deadLetter(letters), control, o, log, ctx.stats);
      if (sent.kind === 'failed') log.error({ err: messageOf(sent.error) }, 'dead letters refused; the records will be fetched again');
      if (sent.kind !== 'done') return false;
      ctx.stats.deadLettered += letters.length;
    }
    return true;
  };

  const eachBatch = async (p: EachBatchPayload): Promise<void> => {
    const { batch } = p;
    const topic = batch.topic as N;
    const messages = batch.messages;
    for (let i = 0; i < messages.length; i += maxBatch) {
      if (!p.isRunning() || p.isStale()) return;
      const slice = messages.slice(i, i + maxBatch);
      const records = slice.map((m) => fetched(topic, batch.partition, m));
      if (!(await chunk(topic, records, p))) return;
      p.resolveOffset(slice[slice.length - 1]!.offset);
      await p.commitOffsetsIfNecessary();
    }
  };

  try {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: options.start !== 'latest' });
    const ready = whenAssigned(consumer, o.readyTimeoutMs);
    await consumer.run({ eachBatch, eachBatchAutoResolve: false, autoCommit: true, autoCommitThreshold: 1 });
    await ready;
  } catch (err) {
    await consumer.disconnect().catch(() => undefined);
    throw unavailable(`subscribe of group ${group}`, err);
  }

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= consumer.disconnect();
      return closing;
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

/**
 * Calls `fn` until it resolves. A retryable error is retried after a growing backoff during which
 * the group's heartbeat continues; a rebalance (the heartbeat throws) or close stops the loop
 * without acknowledging, so the records are delivered again, here or to the partition's new owner.
 */
async function callWithRetry(
  fn: () => Promise<void>,
  control: BatchControl,
  o: ResolvedOptions,
  log: Logger,
  stats: ConsumerStats,
): Promise<Outcome> {
  let backoff = o.retryInitialMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await fn();
      return { kind: 'done' };
    } catch (error) {
      if (!isRetryable(error)) return { kind: 'failed', error };
      if (attempt === 0) log.warn({ err: messageOf(error) }, 'handler failed with a retryable error; retrying');
      stats.handlerRetries += 1;
    }
    const until = Date.now() + backoff;
    while (Date.now() < until) {
      if (!control.isRunning() || control.isStale()) return { kind: 'stopped' };
      await control.heartbeat();
      await delay(Math.min(100, Math.max(0, until - Date.now())));
    }
    if (!control.isRunning() || control.isStale()) return { kind: 'stopped' };
    backoff = Math.min(backoff * 2, o.retryMaxMs);
  }
}

function fetched(topic: string, partition: number, m: KafkaMessage): FetchedRecord {
  return { topic, partition, offset: m.offset, key: m.key, value: m.value, timestamp: m.timestamp };
}
