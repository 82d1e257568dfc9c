import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { Admin, KafkaConfig, LogEntry, Producer } from 'kafkajs';
import { GanzhiError, TOPIC_NAMES } from '@ganzhi/schemas';
import type { TopicName, TopicValue } from '@ganzhi/schemas';
import { silentLogger } from '@ganzhi/log';
import type { Logger } from '@ganzhi/log';
import type { Bus, BusRecord, HandlerMap, StateLog, SubscribeOptions, Subscription } from '../bus';
import { stateTopicName, toOutRecord } from './codec';
import { openSubscription } from './consumer';
import type { ConsumerStats } from './consumer';
import { describe, unavailable } from './errors';
import { resolveOptions } from './options';
import type { KafkaBusOptions, ResolvedOptions } from './options';
import { BatchingProducer } from './producer';
import type { ProducerStats } from './producer';
import { kafkaStateLog } from './state-log';
import { ensureTopics, probePeer } from './topics';
import type { PeerCapabilities } from './topics';

export interface KafkaBusStats {
  readonly producer: ProducerStats;
  readonly consumer: Readonly<ConsumerStats>;
}

export interface KafkaBus extends Bus {
  /** Counters: produce requests vs records (micro-batching), deliveries, dead letters, retries. */
  stats(): KafkaBusStats;
  /** Whether the producer is idempotent (the peer names a controller that can hand out producer ids). */
  readonly idempotent: boolean;
}

/**
 * The bus on Apache Kafka (kafkajs). Opens an admin client and a producer, creates the catalogue
 * topics (`partitions` each) when missing, and rejects with GANZHI_ERR_BUS_UNAVAILABLE when the
 * brokers cannot be reached.
 */
export async function createKafkaBus(options: KafkaBusOptions): Promise<KafkaBus> {
  const o = resolveOptions(options);
  const log = (options.logger ?? silentLogger()).child({ component: 'bus-kafka' });
  const kafka = new Kafka(kafkaConfig(o, options, log));
  const admin = kafka.admin();
  let producer: Producer | undefined;
  let caps: PeerCapabilities;
  try {
    await admin.connect();
    caps = await probePeer(admin);
    // the signed audit heads keep each device's newest only: compacted, never expired by retention
    await ensureTopics(admin, caps, TOPIC_NAMES.map((topic) => ({ topic, ...(topic === 'ganzhi.audit-heads.v1' ? { compact: true } : {}) })), o.partitions, o.replicationFactor, log);
    producer = kafka.producer({
      idempotent: caps.hasController,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    await producer.connect();
  } catch (err) {
    await producer?.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    throw unavailable(`connecting to ${o.brokers.join(',')}`, err);
  }
  if (!caps.hasController) log.warn('kafka peer names no controller: producer is not idempotent');
  return new KafkaBusImpl(kafka, admin, producer, o, log, caps);
}

class KafkaBusImpl implements KafkaBus {
  readonly idempotent: boolean;
  readonly #kafka: Kafka;
  readonly #admin: Admin;
  readonly #producer: Producer;
  readonly #batching: BatchingProducer;
  readonly #o: ResolvedOptions;
  readonly #log: Logger;
  readonly #subscriptions = new Set<Subscription>();
  readonly #consumerStats: ConsumerStats = { delivered: 0, deadLettered: 0, handlerRetries: 0 };
  readonly #caps: PeerCapabilities;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(kafka: Kafka, admin: Admin, producer: Producer, o: ResolvedOptions, log: Logger, caps: PeerCapabilities) {
    this.#kafka = kafka;
    this.#admin = admin;
    this.#producer = producer;
    this.#o = o;
    this.#log = log;
    this.idempotent = caps.hasController;
    this.#caps = caps;
    this.#batching = new BatchingProducer(producer, o.limits, o.deliveryTimeoutMs, log);
  }

  publish<N extends TopicName>(topic: N, records: readonly BusRecord<TopicValue<N>>[]): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    return this.#batching.send(records.map((r) => toOutRecord(topic, r.key, r.value)));
  }

  async subscribe<N extends TopicName>(group: string, handlers: HandlerMap<N>, options?: SubscribeOptions): Promise<Subscription> {
    if (this.#closed) throw closedError();
    const inner = await openSubscription(
      {
        kafka: this.#kafka,
        options: this.#o,
        log: this.#log,
        stats: this.#consumerStats,
        deadLetter: (records) => this.#batching.send(records),
      },
      group,
      handlers,
      options,
    );
    const subscriptions = this.#subscriptions;
    const sub: Subscription = {
      async close() {
        subscriptions.delete(sub);
        await inner.close();
      },
    };
    subscriptions.add(sub);
    if (this.#closed) await sub.close();
    return sub;
  }

  async stateLog<T>(name: string, decode: (value: unknown) => T): Promise<StateLog<T>> {
    if (this.#closed) throw closedError();
    const topic = stateTopicName(name);
    try {
      await ensureTopics(this.#admin, this.#caps, [{ topic, compact: true }], this.#o.partitions, this.#o.replicationFactor, this.#log);
    } catch (err) {
      throw unavailable(`creating ${topic}`, err);
    }
    const log = kafkaStateLog<T>(
      {
        kafka: this.#kafka,
        admin: this.#admin,
        options: this.#o,
        log: this.#log,
        send: (records) => this.#batching.send(records),
      },
      topic,
      decode,
    );
    const closed = () => this.#closed;
    return {
      restore: () => (closed() ? Promise.reject(closedError()) : log.restore()),
      put: (entries) => (closed() ? Promise.reject(closedError()) : log.put(entries)),
    };
  }

  stats(): KafkaBusStats {
    return { producer: this.#batching.stats(), consumer: { ...this.#consumerStats } };
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((s) => s.close().catch((err: unknown) => this.#log.warn({ err: describe(err) }, 'subscription close failed'))));
    await this.#batching.flush();
    await this.#producer.disconnect().catch(() => undefined);
    await this.#admin.disconnect().catch(() => undefined);
  }
}

function closedError(): GanzhiError {
  return new GanzhiError('GANZHI_ERR_BUS_CLOSED');
}

function kafkaConfig(o: ResolvedOptions, options: KafkaBusOptions, log: Logger): KafkaConfig {
  return {
    clientId: o.clientId,
    brokers: o.brokers,
    connectionTimeout: o.connectionTimeoutMs,
    ...(options.ssl !== undefined ? { ssl: options.ssl } : {}),
    ...(options.sasl !== undefined ? { sasl: options.sasl } : {}),
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => bridge(log, entry),
  };
}

/** kafkajs log lines into the pino logger; kafkajs INFO is chatty, so it goes to debug. */
function bridge(log: Logger, { level, namespace, log: line }: LogEntry): void {
  const { message, timestamp: _t, logger: _l, ...rest } = line;
  const fields = { kafkajs: namespace, ...rest };
  switch (level) {
    case logLevel.ERROR:
      log.error(fields, message);
      break;
    case logLevel.WARN:
      log.warn(fields, message);
      break;
    case logLevel.INFO:
      log.debug(fields, message);
      break;
    default:
      log.trace(fields, message);
  }
}
