import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type { Logger } from '@ganzhi/log';
import type { BatcherLimits } from './batcher';

export interface KafkaBusOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** Partitions of the topics this bus creates (default 12). */
  readonly partitions?: number;
  /**
   * Prepended to every topic and consumer group this bus uses (default none), so several
   * deployments (or test runs) can share one cluster: `acme.` makes `acme.ganzhi.raw.v1`.
   * Letters, digits, '.', '_' and '-'.
   */
  readonly topicPrefix?: string;
  /** Replication factor of the topics this bus creates (default min(3, brokers in the cluster)). */
  readonly replicationFactor?: number;
  /**
   * `min.insync.replicas` of the topics this bus creates (default: left to the broker's setting).
   * With acks=all a produce fails when fewer replicas are in sync: 2 with 3 replicas survives one
   * broker down without losing an acknowledged record.
   */
  readonly minInsyncReplicas?: number;
  readonly logger?: Logger;
  /** Producer micro-batching (kafkajs has no linger of its own). */
  readonly batch?: {
    /** Most records in one produce request (default 500). */
    readonly maxRecords?: number;
    /** Most bytes in one produce request (default 1 MiB). */
    readonly maxBytes?: number;
    /**
     * How long a record waits for company before its batch leaves (default 10 ms; Kafka's
     * linger.ms, 5 ms by default since 4.0), also when it arrived while the previous batch was in
     * flight: at most one produce request per linger unless batches fill up. Every stage produces
     * through it, so it sets how many records each produce request, and each stage's fetch,
     * carries: at 500 msg/s, 10 ms halves the produce requests of 5 ms and cuts the fetches by a
     * quarter, for ~4 ms more per PUBACK (bench/README, Kafka). Used only while records come
     * often enough to join it (`lingerFromRate`).
     */
    readonly lingerMs?: number;
    /** Records per second from which the linger is used (default 500 / lingerMs; see `BatcherLimits`). */
    readonly lingerFromRate?: number;
    /** Records waiting or in flight before publish() waits for room (default 20 x maxRecords). */
    readonly maxQueuedRecords?: number;
    /** Bytes waiting or in flight before publish() waits for room (default 32 MiB). */
    readonly maxQueuedBytes?: number;
  };
  /**
   * How long a batch is retried while the brokers are unreachable before its publish() calls
   * reject with GANZHI_ERR_BUS_UNAVAILABLE (default 30 s; Kafka's delivery.timeout.ms).
   */
  readonly deliveryTimeoutMs?: number;
  /** Consumer settings, for every subscription of this bus. */
  readonly consumer?: {
    /** Group session timeout (default 30 s). */
    readonly sessionTimeoutMs?: number;
    /** Heartbeat interval (default 3 s). */
    readonly heartbeatIntervalMs?: number;
    /** Longest wait of an empty fetch (default 500 ms). */
    readonly maxWaitMs?: number;
    /**
     * Longest wait of an empty fetch of the state logs' readers (default 4 x maxWaitMs: 2 s).
     * They are read for restores only, and a broker answers as soon as records arrive, so a
     * longer wait only saves requests while a state topic is idle (a peer that holds an empty
     * fetch for its whole wait, like the librdkafka mock, makes a restore wait up to this long
     * for a record written meanwhile).
     */
    readonly stateMaxWaitMs?: number;
    /**
     * Most time between offset commits while records are acknowledged (default 1 s; Kafka's
     * auto.commit.interval.ms). Offsets are also committed when a subscription closes; after a
     * crash or a rebalance, what was acknowledged since the last commit is delivered again.
     */
    readonly commitIntervalMs?: number;
    /** First retry delay after a retryable handler error, doubled up to `retryMaxMs` (default 200 ms). */
    readonly retryInitialMs?: number;
    readonly retryMaxMs?: number;
    /** How long subscribe() waits for the group to assign partitions (default 60 s). */
    readonly readyTimeoutMs?: number;
  };
  /** How long stateLog().restore() may take before it rejects (default 120 s). */
  readonly restoreTimeoutMs?: number;
  /** Wait for connections this long (default 3 s). */
  readonly connectionTimeoutMs?: number;
  readonly ssl?: boolean | ConnectionOptions;
  readonly sasl?: SASLOptions;
}

export interface ResolvedOptions {
  readonly brokers: string[];
  readonly clientId: string;
  readonly partitions: number;
  readonly topicPrefix: string;
  readonly replicationFactor: number | undefined;
  readonly minInsyncReplicas: number | undefined;
  readonly limits: BatcherLimits;
  readonly deliveryTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxWaitMs: number;
  readonly stateMaxWaitMs: number;
  readonly commitIntervalMs: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly readyTimeoutMs: number;
  readonly restoreTimeoutMs: number;
  readonly connectionTimeoutMs: number;
}

const MiB = 1024 * 1024;

export function resolveOptions(o: KafkaBusOptions): ResolvedOptions {
  const maxWaitMs = nonNegative('consumer.maxWaitMs', o.consumer?.maxWaitMs ?? 500);
  const maxRecords = positive('batch.maxRecords', o.batch?.maxRecords ?? 500);
  const resolved: ResolvedOptions = {
    brokers: [...o.brokers],
    clientId: o.clientId ?? 'ganzhi',
    partitions: positive('partitions', o.partitions ?? 12),
    topicPrefix: prefix(o.topicPrefix ?? ''),
    replicationFactor: o.replicationFactor === undefined ? undefined : positive('replicationFactor', o.replicationFactor),
    minInsyncReplicas: o.minInsyncReplicas === undefined ? undefined : positive('minInsyncReplicas', o.minInsyncReplicas),
    limits: {
      maxRecords,
      maxBytes: positive('batch.maxBytes', o.batch?.maxBytes ?? MiB),
      lingerMs: nonNegative('batch.lingerMs', o.batch?.lingerMs ?? 10),
      ...(o.batch?.lingerFromRate === undefined ? {} : { lingerFromRate: nonNegative('batch.lingerFromRate', o.batch.lingerFromRate) }),
      maxQueuedRecords: positive('batch.maxQueuedRecords', o.batch?.maxQueuedRecords ?? 20 * maxRecords),
      maxQueuedBytes: positive('batch.maxQueuedBytes', o.batch?.maxQueuedBytes ?? 32 * MiB),
    },
    deliveryTimeoutMs: positive('deliveryTimeoutMs', o.deliveryTimeoutMs ?? 30_000),
    sessionTimeoutMs: positive('consumer.sessionTimeoutMs', o.consumer?.sessionTimeoutMs ?? 30_000),
    heartbeatIntervalMs: positive('consumer.heartbeatIntervalMs', o.consumer?.heartbeatIntervalMs ?? 3_000),
    maxWaitMs,
    stateMaxWaitMs: nonNegative('consumer.stateMaxWaitMs', o.consumer?.stateMaxWaitMs ?? 4 * maxWaitMs),
    commitIntervalMs: positive('consumer.commitIntervalMs', o.consumer?.commitIntervalMs ?? 1_000),
    retryInitialMs: positive('consumer.retryInitialMs', o.consumer?.retryInitialMs ?? 200),
    retryMaxMs: positive('consumer.retryMaxMs', o.consumer?.retryMaxMs ?? 10_000),
    readyTimeoutMs: positive('consumer.readyTimeoutMs', o.consumer?.readyTimeoutMs ?? 60_000),
    restoreTimeoutMs: positive('restoreTimeoutMs', o.restoreTimeoutMs ?? 120_000),
    connectionTimeoutMs: positive('connectionTimeoutMs', o.connectionTimeoutMs ?? 3_000),
  };
  if (resolved.brokers.length === 0) throw new TypeError('KafkaBusOptions.brokers: at least one broker is required');
  return resolved;
}

function positive(field: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new TypeError(`KafkaBusOptions.${field}: must be a positive number, got ${v}`);
  return v;
}

function nonNegative(field: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new TypeError(`KafkaBusOptions.${field}: must be >= 0, got ${v}`);
  return v;
}

function prefix(p: string): string {
  if (!/^[A-Za-z0-9._-]*$/.test(p) || p.length > 100) {
    throw new TypeError(`KafkaBusOptions.topicPrefix: letters, digits, '.', '_' and '-' only (at most 100), got "${p}"`);
  }
  return p;
}
