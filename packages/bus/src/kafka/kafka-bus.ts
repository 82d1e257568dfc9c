// First: kafkajs' own modules then load with the fixes in place (see kafkajs-fixes.ts).
import { applyKafkajsFixes } from './kafkajs-fixes';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { Admin, KafkaConfig, LogEntry, Producer } from 'kafkajs';
import { GanzhiError, TOPIC_NAMES } from '@ganzhi/schemas';
import type { TopicName, TopicValue } from '@ganzhi/schemas';
import { silentLogger } from '@ganzhi/log';
import type { Logger } from '@ganzhi/log';
import type { Bus, BusRecord, HandlerMap, StateLog, StateLogOptions, SubscribeOptions, Subscription } from '../bus';
import { stateTopicName, toOutRecord } from './codec';
import { openSubscription } from './consumer';
import type { ConsumerStats } from './consumer';
import { authFailed, describe, isAuthError, unavailable } from './errors';
import { resolveOptions } from './options';
import type { KafkaBusOptions, ResolvedOptions } from './options';
import { BatchingProducer } from './producer';
import type { ProducerStats } from './producer';
import { consumerLag, type GroupLag } from './lag';
import { DecodeCache } from './decode-cache';
import { DeferredStates } from './deferred-states';
import { RequestCounter } from './requests';
import { StateTail, kafkaStateLog } from './state-log';
import type { StateLogContext } from './state-log';
import { ensureTopics, probePeer, reportMismatches } from './topics';
import type { PeerCapabilities, TopicLayout } from './topics';

export interface KafkaBusStats {
  readonly producer: ProducerStats;
  readonly consumer: Readonly<ConsumerStats> & { readonly decoded: { readonly hits: number; readonly misses: number } };
  /** State logs: group joins of their long-lived readers, and restores served (summed over state topics). */
  readonly state: { readonly readerJoins: number; readonly restores: number; readonly records: number };
  /** Requests sent to the brokers by API name (Produce, Fetch, OffsetCommit...), all clients of this bus. */
  readonly requests: Readonly<Record<string, number>>;
  /** Fetch requests per consumer group and state reader (`state:<topic>`). */
  readonly fetches: Readonly<Record<string, number>>;
}

export interface KafkaBus extends Bus {
  /** Counters: produce requests vs records (micro-batching), deliveries, dead letters, retries. */
  stats(): KafkaBusStats;
  /** Whether the producer is idempotent (the peer names a controller that can hand out producer ids). */
  readonly idempotent: boolean;
  /** Consumer lag of the groups subscribed through this bus, by group and topic (asks the brokers). */
  lag(): Promise<GroupLag[]>;
}

/**
 * The bus on Apache Kafka (kafkajs). Opens an admin client and a producer, creates the catalogue
 * topics (`partitions` each) when missing, and rejects with GANZHI_ERR_BUS_UNAVAILABLE when the
 * brokers cannot be reached.
 */
export async function createKafkaBus(options: KafkaBusOptions): Promise<KafkaBus> {
  applyKafkajsFixes();
  const o = resolveOptions(options);
  const log = (options.logger ?? silentLogger()).child({ component: 'bus-kafka' });
  const kafka = new Kafka(kafkaConfig(o, options, log));
  const admin = kafka.admin();
  const requests = new RequestCounter();
  admin.on(admin.events.REQUEST, requests.listener);
  let producer: Producer | undefined;
  let caps: PeerCapabilities;
  try {
    await admin.connect();
    caps = await probePeer(admin);
    // the signed audit heads keep each device's newest only: compacted, never expired by retention
    reportMismatches(
      await ensureTopics(admin, caps, TOPIC_NAMES.map((topic) => ({ topic: `${o.topicPrefix}${topic}`, ...(topic === 'ganzhi.audit-heads.v1' ? { compact: true } : {}) })), layout(o), log),
      log,
    );
    producer = kafka.producer({
      idempotent: caps.hasController,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    producer.on(producer.events.REQUEST, requests.listener);
    await producer.connect();
  } catch (err) {
    await producer?.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    if (err instanceof GanzhiError) throw err;
    if (isAuthError(err)) throw authFailed(`connecting to ${o.brokers.join(',')}`, err);
    throw unavailable(`connecting to ${o.brokers.join(',')}`, err);
  }
  if (!caps.hasController) log.warn('kafka peer names no controller: producer is not idempotent');
  return new KafkaBusImpl(kafka, admin, producer, o, log, caps, requests);
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
  readonly #groups = new Map<string, Set<string>>();
  readonly #tails = new Map<string, StateTail>();
  /** Enough for a few produce batches per partition of every topic a process consumes twice. */
  readonly #decoded = new DecodeCache(20_000);
  readonly #consumerStats: ConsumerStats = { delivered: 0, deadLettered: 0, handlerRetries: 0 };
  readonly #caps: PeerCapabilities;
  readonly #requests: RequestCounter;
  /** Derived state (StateLogOptions.derived with deferSync): written before each consumer commit and every commit interval. */
  readonly #deferred: DeferredStates;
  readonly #deferredTimer: NodeJS.Timeout;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(kafka: Kafka, admin: Admin, producer: Producer, o: ResolvedOptions, log: Logger, caps: PeerCapabilities, requests: RequestCounter) {
    this.#requests = requests;
    this.#kafka = kafka;
    this.#admin = admin;
    this.#producer = producer;
    this.#o = o;
    this.#log = log;
    this.idempotent = caps.hasController;
    this.#caps = caps;
    this.#batching = new BatchingProducer(producer, o.limits, o.deliveryTimeoutMs, log);
    this.#deferred = new DeferredStates((records) => this.#batching.send(records));
    this.#deferredTimer = setInterval(() => {
      this.#deferred.flush().catch((err: unknown) => log.debug({ err: describe(err) }, 'writing deferred state failed; retried'));
    }, o.commitIntervalMs);
    this.#deferredTimer.unref();
  }

  publish<N extends TopicName>(topic: N, records: readonly BusRecord<TopicValue<N>>[]): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    const physical = `${this.#o.topicPrefix}${topic}`;
    return this.#batching.send(records.map((r) => toOutRecord(physical, r.key, r.value)));
  }

  async subscribe<N extends TopicName>(group: string, handlers: HandlerMap<N>, options?: SubscribeOptions): Promise<Subscription> {
    if (this.#closed) throw closedError();
    const inner = await openSubscription(
      {
        kafka: this.#kafka,
        options: this.#o,
        log: this.#log,
        stats: this.#consumerStats,
        decoded: this.#decoded,
        requests: this.#requests,
        deadLetter: (records) => this.#batching.send(records.map((r) => ({ ...r, topic: `${this.#o.topicPrefix}${r.topic}` }))),
        beforeCommit: () => this.#deferred.flush(),
      },
      group,
      handlers,
      options,
    );
    for (const topic of Object.keys(handlers)) this.#groups.set(group, (this.#groups.get(group) ?? new Set()).add(topic));
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

  async stateLog<T>(name: string, decode: (value: unknown) => T, options?: StateLogOptions): Promise<StateLog<T>> {
    if (this.#closed) throw closedError();
    const topic = stateTopicName(name, this.#o.topicPrefix);
    const ctx: StateLogContext = {
      kafka: this.#kafka,
      admin: this.#admin,
      options: this.#o,
      log: this.#log,
      requests: this.#requests,
      send: (records) => this.#batching.send(records),
    };
    let tail = this.#tails.get(topic);
    if (!tail) {
      // Created and checked once per bus: a stage that reopens its state after every rebalance
      // pays no admin round trips for it.
      let mismatches;
      try {
        mismatches = await ensureTopics(this.#admin, this.#caps, [{ topic, compact: true }], layout(this.#o), this.#log);
      } catch (err) {
        throw unavailable(`creating ${topic}`, err);
      }
      reportMismatches(mismatches, this.#log);
      tail = this.#tails.get(topic) ?? new StateTail(ctx, topic);
      if (!this.#tails.has(topic)) {
        this.#tails.set(topic, tail);
        // Join now, so the reader's group join overlaps whatever the stage does next.
        void tail.start().catch((err: unknown) => this.#log.warn({ err: describe(err), topic }, 'state reader failed to start; retried at restore'));
      }
    }
    const log = kafkaStateLog<T>(ctx, topic, tail, decode);
    const closed = () => this.#closed;
    if (options?.deferSync === true && options.derived === true) {
      // Derived state: held (the latest value per key) until the next consumer commit of this
      // bus, or the commit interval, whichever comes first; a restore writes it first.
      const deferred = this.#deferred;
      return {
        restore: async () => {
          if (closed()) throw closedError();
          try {
            await deferred.flush();
          } catch (err) {
            throw unavailable(`restore of ${topic}: writing the state held back`, err);
          }
          return log.restore();
        },
        put: (entries) => {
          if (closed()) return Promise.reject(closedError());
          deferred.put(topic, entries);
          return Promise.resolve();
        },
      };
    }
    return {
      restore: () => (closed() ? Promise.reject(closedError()) : log.restore()),
      put: (entries) => (closed() ? Promise.reject(closedError()) : log.put(entries)),
    };
  }

  lag(): Promise<GroupLag[]> {
    return this.#closed ? Promise.resolve([]) : consumerLag(this.#admin, this.#groups, this.#o.topicPrefix);
  }

  stats(): KafkaBusStats {
    let readerJoins = 0;
    let restores = 0;
    let records = 0;
    for (const t of this.#tails.values()) {
      records += t.counters.records;
      readerJoins += t.counters.joins;
      restores += t.counters.restores;
    }
    const decoded = { hits: this.#decoded.hits, misses: this.#decoded.misses };
    return { producer: this.#batching.stats(), consumer: { ...this.#consumerStats, decoded }, state: { readerJoins, restores, records }, requests: this.#requests.snapshot(), fetches: this.#requests.fetchesByClient() };
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((s) => s.close().catch((err: unknown) => this.#log.warn({ err: describe(err) }, 'subscription close failed'))));
    clearInterval(this.#deferredTimer);
    await this.#deferred.flush().catch((err: unknown) => this.#log.warn({ err: describe(err) }, 'writing deferred state at close failed (it is derived again from the uncommitted input)'));
    await Promise.all([...this.#tails.values()].map((t) => t.close()));
    await this.#batching.flush();
    await this.#producer.disconnect().catch(() => undefined);
    await this.#admin.disconnect().catch(() => undefined);
  }
}

function layout(o: ResolvedOptions): TopicLayout {
  return { partitions: o.partitions, replicationFactor: o.replicationFactor, minInsyncReplicas: o.minInsyncReplicas };
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
