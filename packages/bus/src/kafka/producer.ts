import type { Producer, TopicMessages } from 'kafkajs';
import type { Logger } from '@ganzhi/log';
import { Batcher } from './batcher';
import type { BatcherLimits, BatcherStats, OutRecord } from './batcher';
import { delay, describe, isTransientKafkaError, rejected, unavailable } from './errors';

export interface ProducerStats extends BatcherStats {
  /** Produce requests made (sendBatch calls, retries included). */
  readonly produceRequests: number;
  /** Produce requests that failed and were retried. */
  readonly retries: number;
}

/**
 * The micro-batching producer: a Batcher whose batches go out as one kafkajs `sendBatch` with
 * acks=-1. A batch that fails for a transient reason (brokers unreachable, leader moving) is
 * sent again, with backoff, until `deliveryTimeoutMs` after it was first sent; then its callers
 * get GANZHI_ERR_BUS_UNAVAILABLE (retryable). A refusal (e.g. MESSAGE_TOO_LARGE) fails at once
 * with GANZHI_ERR_BUS_REJECTED.
 */
export class BatchingProducer {
  readonly #producer: Producer;
  readonly #batcher: Batcher;
  readonly #deliveryTimeoutMs: number;
  readonly #log: Logger;
  #produceRequests = 0;
  #retries = 0;
  #closing = false;

  constructor(producer: Producer, limits: BatcherLimits, deliveryTimeoutMs: number, log: Logger) {
    this.#producer = producer;
    this.#deliveryTimeoutMs = deliveryTimeoutMs;
    this.#log = log;
    this.#batcher = new Batcher(limits, (records) => this.#sendWithRetry(records));
  }

  send(records: readonly OutRecord[]): Promise<void> {
    return this.#batcher.add(records);
  }

  stats(): ProducerStats {
    return { ...this.#batcher.stats(), produceRequests: this.#produceRequests, retries: this.#retries };
  }

  /** Sends what is queued and waits for every pending batch to settle. */
  async flush(): Promise<void> {
    await this.#batcher.flush();
  }

  /** After this, a failing batch is not retried any more (close must not hang on a dead cluster). */
  stopRetrying(): void {
    this.#closing = true;
  }

  async #sendWithRetry(records: readonly OutRecord[]): Promise<void> {
    const topicMessages = group(records);
    const deadline = Date.now() + this.#deliveryTimeoutMs;
    let backoff = 100;
    for (let attempt = 0; ; attempt++) {
      this.#produceRequests += 1;
      try {
        await this.#producer.sendBatch({ acks: -1, topicMessages });
        return;
      } catch (err) {
        if (!isTransientKafkaError(err)) throw rejected(`produce of ${records.length} records refused`, err);
        const left = deadline - Date.now();
        if (left <= 0 || this.#closing) {
          throw unavailable(`produce of ${records.length} records failed for ${this.#deliveryTimeoutMs} ms`, err);
        }
        if (attempt === 0) this.#log.warn({ err: describe(err) }, 'kafka produce failed; retrying until the delivery timeout');
        this.#retries += 1;
        await delay(Math.min(backoff, left));
        backoff = Math.min(backoff * 2, 2_000);
      }
    }
  }
}

/** One TopicMessages per topic, records in their queue order. */
function group(records: readonly OutRecord[]): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const r of records) {
    let tm = byTopic.get(r.topic);
    if (!tm) {
      tm = { topic: r.topic, messages: [] };
      byTopic.set(r.topic, tm);
    }
    tm.messages.push({ key: r.key, value: r.value });
  }
  return [...byTopic.values()];
}
