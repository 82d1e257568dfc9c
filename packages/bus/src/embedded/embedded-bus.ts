import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger, type Logger } from '@ganzhi/log';
import { GanzhiError, TOPIC_NAMES, topicKey, type DeadLetter, type TopicName, type TopicValue } from '@ganzhi/schemas';
import type { Bus, BusRecord, HandlerMap, StateLog, StateLogOptions, SubscribeOptions, Subscription } from '../bus';
import { LagGate, type ActiveConsumer } from './backpressure';
import { runConsumer, startPosition, type AnyBatchHandler, type RetryPolicy } from './consumer';
import { DecodeCache } from './decode-cache';
import { prepareRecord, type PreparedRecord } from './frame';
import { lockDir } from './lock';
import { Checkpoints } from './checkpoints';
import { LegacyOffsets } from './offsets';
import { compactIfWorthIt, stateLogOn } from './state-log';
import { TopicLog, type LogStats, type TopicLogOptions } from './topic-log';

export interface EmbeddedBusOptions {
  /** Data directory (created if missing); holds `topics/<topic>/` and `state/<name>/`. */
  readonly dir: string;
  readonly logger?: Logger;
  /** 'fsync' (default): publish resolves after fdatasync. 'write': after write(2) (survives a process crash, not a power loss). */
  readonly sync?: 'fsync' | 'write';
  /** Segment file size before rolling to a new one; default 64 MiB. */
  readonly segmentBytes?: number;
  /** Per topic; whole old segments beyond it are deleted. Default 1 GiB. */
  readonly retentionBytes?: number;
  /** Sealed segments whose newest record is older are deleted. Default 7 days. */
  readonly retentionMs?: number;
  /** Per topic, overriding `retentionBytes` / `retentionMs` (see `retentionClasses` in the runtime). */
  readonly retentionByTopic?: Readonly<Partial<Record<TopicName, { readonly bytes?: number; readonly ms?: number }>>>;
  /** Default `SubscribeOptions.maxBatch`; default 500. */
  readonly maxBatch?: number;
  /**
   * Backoff between redeliveries of a batch whose handler threw a retryable error; default 100 ms
   * doubling to 5 s, and 20 attempts at a transient (not an outage) error before parking.
   */
  readonly retry?: Partial<RetryPolicy>;
  /**
   * Backpressure bound, in records: `publish` to a topic waits (it does not fail) while the slowest
   * consumer group subscribed to that topic on this bus right now is more than `maxLag` records
   * behind the topic's end, and resumes as soon as that group has handled enough. A stage publishes
   * its outputs before acknowledging its input, so a slow sink slows every stage upstream of it,
   * down to the publisher of raw messages (the MQTT gateway then withholds PUBACKs). Groups that
   * only have a committed position from an earlier run do not count; state logs are not bounded.
   * Default 50 000; Infinity disables it.
   */
  readonly maxLag?: number;
  /**
   * Longest time a consumer group's handled position stays uncommitted (commits are coalesced;
   * they are also made once 10 × maxBatch records are pending, and on close). A crash re-delivers
   * at most what was handled since the last commit. Default 200 ms; 0 commits after every batch.
   */
  readonly commitIntervalMs?: number;
  /** Decoded records kept per topic so that groups reading the same region decode a record once. Default 20 000. */
  readonly decodeCacheRecords?: number;
  /**
   * Topics only stages publish, derived from other records (with sync 'fsync'): their appends
   * resolve once written and are synced by the next checkpoint, before any consumer position is
   * committed (see `TopicLogOptions.deferSync`). Default: readings, signals and alert changes.
   * Every other topic (what devices, operators and the API publish) is synced before its publish
   * resolves: a PUBACK or an HTTP answer promises it.
   */
  readonly deferSyncTopics?: readonly TopicName[];
  /** Called before every fdatasync, with the log's name (fault injection: a test holds the disk). */
  readonly beforeSync?: (log: string) => Promise<void> | void;
  /**
   * Group-commit window, ms, of the topics synced per publish (see `TopicLogOptions.lingerMs`):
   * adds at most this much to a PUBACK, and lets the pipeline work in batches at moderate rates.
   * Used while the topic takes appends often enough for others to join (`lingerFromRate`,
   * appends per second in the previous second; default 500 / lingerMs): at a few messages per second a window would only add latency.
   * Default 0.
   */
  readonly lingerMs?: number;
  readonly lingerFromRate?: number;
  /**
   * A state log is rewritten to its live keys while running only once it holds more than twice
   * their records and at least this many bytes (see `stateLogOn`). Default 4 MiB.
   */
  readonly stateCompactMinBytes?: number;
}

/**
 * Derived topics whose appends stay in memory until the checkpoint (`TopicLogOptions.bufferUntilSync`):
 * readings, whose producer (the normalizer) holds no state, so that a crash before the checkpoint
 * makes it derive them again from raw input. Not signals or alert changes: the rule evaluator and
 * the alert manager keep state that a crash could leave ahead of them.
 */
export const BUFFERED_TOPICS: readonly TopicName[] = ['ganzhi.readings.v1'];

/** Topics that only stages publish, from records already on the bus (see `deferSyncTopics`). */
export const DERIVED_TOPICS: readonly TopicName[] = ['ganzhi.readings.v1', 'ganzhi.signals.v1', 'ganzhi.alerts.v1'];

export type EmbeddedBusStats = Readonly<LogStats> & {
  /** Publish calls waiting for backpressure right now. */
  readonly publishWaiting: number;
  /** Publish calls that had to wait for backpressure, since open. */
  readonly publishWaits: number;
};

export interface EmbeddedBus extends Bus {
  readonly dir: string;
  /** Counters since open: publish calls, records, writes and fsyncs (group commit shows as fsyncs << publishCalls). */
  stats(): EmbeddedBusStats;
  /** How many records each live consumer group is behind, by group and topic. */
  lag(): Promise<{ group: string; topic: string; lag: number }[]>;
  /**
   * Applies the retention limits now, as of `now` (default the clock); they also apply when a
   * segment rolls and every few minutes. Resolves with the number of segments deleted.
   */
  enforceRetention(now?: number): Promise<number>;
}

const MIB = 1024 * 1024;
const STATE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;
const IDLE_WAIT_MS = 1000;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(value > 0)) throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `bus option ${name} must be a positive number, got ${value}`);
  return value;
}

/** Opens (or creates) an embedded durable bus in `options.dir`, continuing where it was left. */
export async function createEmbeddedBus(options: EmbeddedBusOptions): Promise<EmbeddedBus> {
  const dir = options.dir;
  const logger = options.logger ?? silentLogger();
  const sync = options.sync ?? 'fsync';
  const segmentBytes = positive('segmentBytes', options.segmentBytes, 64 * MIB);
  const retentionBytes = positive('retentionBytes', options.retentionBytes, 1024 * MIB);
  const retentionMs = positive('retentionMs', options.retentionMs, 7 * 24 * 3600 * 1000);
  const defaultMaxBatch = positive('maxBatch', options.maxBatch, 500);
  const maxLag = positive('maxLag', options.maxLag, 50_000);
  const commitIntervalMs = options.commitIntervalMs ?? 200;
  if (!(commitIntervalMs >= 0)) throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `bus option commitIntervalMs must be a number >= 0, got ${commitIntervalMs}`);
  const decodeCacheRecords = options.decodeCacheRecords ?? 20_000;
  if (!(decodeCacheRecords >= 0)) throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `bus option decodeCacheRecords must be a number >= 0, got ${decodeCacheRecords}`);
  const retry: RetryPolicy = {
    initialMs: positive('retry.initialMs', options.retry?.initialMs, 100),
    maxMs: positive('retry.maxMs', options.retry?.maxMs, 5000),
    maxAttempts: positive('retry.maxAttempts', options.retry?.maxAttempts, 20),
  };

  await mkdir(dir, { recursive: true, mode: 0o700 });
  const lock = await lockDir(dir);
  const stats: LogStats = { publishCalls: 0, records: 0, writes: 0, fsyncs: 0, bytes: 0, segmentsDeleted: 0, tornBytesDropped: 0, corruptRegions: 0, recordsSkipped: 0, recordsKeptAfterCorruption: 0, quarantinedBytes: 0, recordsLostToRetention: 0 };
  const byTopic = options.retentionByTopic ?? {};
  const deferred = new Set<string>(options.deferSyncTopics ?? DERIVED_TOPICS);
  // Before the logs: their tails keep only what the consumers registered here have yet to read.
  const gate = new LagGate(maxLag, (topic) => topics.get(topic)?.log.nextOffset ?? 0);
  // Topics synced per publish (retained, not deferred) get the group-commit window; state logs
  // synced per put (the MQTT retained store) do not: they sit on the path of alerts to operators.
  const logOptions = (logDir: string, name: string, retained: boolean, deferSync = deferred.has(name), bufferUntilSync = deferSync && BUFFERED_TOPICS.includes(name as TopicName)): TopicLogOptions => ({
    dir: logDir,
    name,
    sync,
    deferSync,
    ...(bufferUntilSync ? { bufferUntilSync } : {}),
    ...(options.beforeSync ? { beforeSync: options.beforeSync } : {}),
    ...(options.lingerMs && retained && !deferSync ? { lingerMs: options.lingerMs, ...(options.lingerFromRate === undefined ? {} : { lingerFromRate: options.lingerFromRate }) } : {}),
    segmentBytes,
    retentionBytes: retained ? positive(`retentionByTopic.${name}.bytes`, byTopic[name as TopicName]?.bytes, retentionBytes) : Infinity,
    retentionMs: retained ? positive(`retentionByTopic.${name}.ms`, byTopic[name as TopicName]?.ms, retentionMs) : Infinity,
    logger,
    stats,
    // A topic's tail serves its consumers here; a state log is only read from its file (on open).
    tailFrom: retained ? () => gate.lowestPosition(name) : () => Infinity,
  });

  type Topic = { log: TopicLog; legacy: LegacyOffsets; cache: DecodeCache };
  const topics = new Map<string, Topic>();
  try {
    for (const name of TOPIC_NAMES) {
      const logDir = join(dir, 'topics', name);
      topics.set(name, { log: await TopicLog.open(logOptions(logDir, name, true)), legacy: new LegacyOffsets(logDir), cache: new DecodeCache(decodeCacheRecords) });
    }
  } catch (err) {
    for (const t of topics.values()) await t.log.close();
    await lock.release();
    throw err;
  }
  const stateLogs = new Map<string, Promise<TopicLog>>();
  /** State logs opened with `derived` (their appends kept in memory until the checkpoint). */
  const derivedState = new Set<string>();
  /**
   * Syncs every log written since the last checkpoint (and waits for syncs in progress): all at
   * once, except derived state kept in memory until now, which is written after every topic is
   * synced, so that on disk a stage's state is never ahead of its outputs.
   */
  const syncLogs = async (): Promise<void> => {
    const logs: TopicLog[] = [];
    const buffered: TopicLog[] = [];
    for (const t of topics.values()) logs.push(t.log);
    for (const [name, p] of stateLogs) {
      const log = await p.catch(() => null);
      if (log) (derivedState.has(name) ? buffered : logs).push(log);
    }
    await Promise.all(logs.map((l) => l.syncDirty()));
    await Promise.all(buffered.map((l) => l.syncDirty()));
  };
  const checkpoints = await Checkpoints.open({
    dir,
    sync,
    intervalMs: commitIntervalMs,
    syncLogs,
    logger,
    legacy: (topic, group) => topics.get(topic)?.legacy.read(group) ?? Promise.resolve(null),
  });

  const enforceRetention = async (now = Date.now()): Promise<number> => {
    let deleted = 0;
    for (const t of topics.values()) deleted += await t.log.enforceRetention(now);
    return deleted;
  };
  await enforceRetention();
  const retentionTimer = setInterval(() => {
    enforceRetention(Date.now()).catch((err: unknown) => logger.error({ err }, 'retention failed'));
  }, Math.max(1000, Math.min(Math.min(retentionMs, ...Object.values(byTopic).map((r) => r?.ms ?? Infinity)) / 4, 5 * 60_000)));
  retentionTimer.unref();

  const consuming = new Set<string>();
  const subscriptions = new Set<Subscription>();
  let closed = false;
  let closing: Promise<void> | null = null;
  const closedError = (): GanzhiError => new GanzhiError('GANZHI_ERR_BUS_CLOSED');

  const publish = <N extends TopicName>(topic: N, records: readonly BusRecord<TopicValue<N>>[]): Promise<void> => {
    if (closed) return Promise.reject(closedError());
    const t = topics.get(topic);
    if (!t) return Promise.reject(new GanzhiError('GANZHI_ERR_CFG_INVALID', `unknown topic ${String(topic)}`));
    if (records.length === 0) return Promise.resolve();
    const prepared: PreparedRecord[] = new Array<PreparedRecord>(records.length);
    try {
      for (let i = 0; i < records.length; i++) {
        const r = records[i] as BusRecord<TopicValue<N>>;
        prepared[i] = prepareRecord(r.key, r.value);
      }
    } catch (err) {
      // Only reachable past the types (a non-string key, a value JSON cannot represent).
      return Promise.reject(err);
    }
    if (!gate.blocked(topic)) return t.log.append(prepared, Date.now());
    return gate.admit(topic).then(() => (closed ? Promise.reject(closedError()) : t.log.append(prepared, Date.now())));
  };

  const deadLetter = (letters: DeadLetter[]): Promise<void> =>
    publish(
      'ganzhi.deadletter.v1',
      letters.map((value) => ({ key: topicKey('ganzhi.deadletter.v1', value), value })),
    );

  const subscribe = async <N extends TopicName>(group: string, handlers: HandlerMap<N>, opts: SubscribeOptions = {}): Promise<Subscription> => {
    if (closed || closing) throw closedError();
    if (typeof group !== 'string' || group.length === 0) throw new GanzhiError('GANZHI_ERR_CFG_INVALID', 'consumer group must be a non-empty string');
    const maxBatch = positive('maxBatch', opts.maxBatch, defaultMaxBatch);
    const entries = Object.entries(handlers) as [TopicName, AnyBatchHandler][];
    const claims: string[] = [];
    for (const [topic] of entries) {
      if (!topics.has(topic)) throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `unknown topic ${topic}`);
      const claim = `${group}\u0000${topic}`;
      if (consuming.has(claim) || claims.includes(claim)) {
        throw new Error(`consumer group "${group}" already consumes ${topic} on this bus: the embedded bus allows one consumer per group and topic`);
      }
      claims.push(claim);
    }
    for (const c of claims) consuming.add(c);
    const controller = new AbortController();
    let loops: Promise<void>[] = [];
    let active: ActiveConsumer[] = [];
    try {
      const starts = await Promise.all(
        entries.map(async ([topic]) => {
          const t = topics.get(topic) as Topic;
          return startPosition(t.log, await checkpoints.position(topic, group), group, opts.start ?? 'earliest', logger);
        }),
      );
      active = entries.map(([topic], i) => gate.register(topic, group, starts[i] as number));
      loops = entries.map(([topic, handler], i) => {
        const t = topics.get(topic) as Topic;
        const from = starts[i] as number;
        const consumer = {
          topic,
          group,
          log: t.log,
          commits: checkpoints.committer(topic, group, from, 10 * maxBatch),
          gate,
          me: active[i] as ActiveConsumer,
          cache: t.cache,
          handler,
          maxBatch,
          start: opts.start ?? 'earliest',
          retry,
          logger,
          deadLetter,
          signal: controller.signal,
          idleWaitMs: IDLE_WAIT_MS,
        } as const;
        return runConsumer(consumer, from).catch((err: unknown) => {
          logger.error({ topic, group, err }, 'consumer stopped unexpectedly');
        });
      });
    } catch (err) {
      for (const a of active) gate.unregister(a);
      for (const c of claims) consuming.delete(c);
      throw err;
    }
    let stopping: Promise<void> | null = null;
    const subscription: Subscription = {
      close(): Promise<void> {
        stopping ??= (async () => {
          controller.abort();
          // A closing group no longer holds publishers back (its in-flight handler may be publishing).
          for (const a of active) gate.unregister(a);
          await Promise.all(loops);
          for (const c of claims) consuming.delete(c);
          subscriptions.delete(subscription);
        })();
        return stopping;
      },
    };
    subscriptions.add(subscription);
    return subscription;
  };

  const stateLog = async <T>(name: string, decode: (value: unknown) => T, stateOptions: StateLogOptions = {}): Promise<StateLog<T>> => {
    if (closed || closing) throw closedError();
    if (!STATE_NAME.test(name)) throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `state log name "${name}" must match ${STATE_NAME.source}`);
    let opening = stateLogs.get(name);
    if (!opening) {
      opening = (async () => {
        const derived = stateOptions.deferSync === true && stateOptions.derived === true;
        if (derived) derivedState.add(name);
        const log = await TopicLog.open(logOptions(join(dir, 'state', name), `state.${name}`, false, stateOptions.deferSync === true, derived));
        await compactIfWorthIt(log, logger);
        return log;
      })();
      stateLogs.set(name, opening);
      opening.catch(() => stateLogs.delete(name));
    }
    return stateLogOn(await opening, decode, logger, options.stateCompactMinBytes);
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(retentionTimer);
      // Handlers still running may publish their outputs: stop consumers before refusing publishes.
      await Promise.all([...subscriptions].map((s) => s.close()));
      closed = true;
      gate.close();
      await checkpoints.close();
      for (const t of topics.values()) await t.log.close();
      for (const p of stateLogs.values()) await (await p.catch(() => null))?.close();
      await lock.release();
    })();
    return closing;
  };

  return {
    dir,
    publish,
    subscribe,
    stateLog,
    close,
    stats: () => ({ ...stats, publishWaiting: gate.waiting, publishWaits: gate.waits }),
    lag: async () => gate.lags(),
    enforceRetention,
  };
}
