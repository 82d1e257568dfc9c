import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger, type Logger } from '@ganzhi/log';
import { GanzhiError, TOPIC_NAMES, topicKey, type DeadLetter, type TopicName, type TopicValue } from '@ganzhi/schemas';
import type { Bus, BusRecord, HandlerMap, StateLog, SubscribeOptions, Subscription } from '../bus';
import { runConsumer, startPosition, type AnyBatchHandler, type RetryPolicy } from './consumer';
import { prepareRecord, type PreparedRecord } from './frame';
import { lockDir } from './lock';
import { OffsetStore } from './offsets';
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
  /** Default `SubscribeOptions.maxBatch`; default 500. */
  readonly maxBatch?: number;
  /** Backoff between redeliveries of a batch whose handler threw a retryable error; default 100 ms doubling to 5 s. */
  readonly retry?: RetryPolicy;
}

export type EmbeddedBusStats = Readonly<LogStats>;

export interface EmbeddedBus extends Bus {
  readonly dir: string;
  /** Counters since open: publish calls, records, writes and fsyncs (group commit shows as fsyncs << publishCalls). */
  stats(): EmbeddedBusStats;
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
  const retry: RetryPolicy = {
    initialMs: positive('retry.initialMs', options.retry?.initialMs, 100),
    maxMs: positive('retry.maxMs', options.retry?.maxMs, 5000),
  };

  await mkdir(dir, { recursive: true });
  const lock = await lockDir(dir);
  const stats: LogStats = { publishCalls: 0, records: 0, writes: 0, fsyncs: 0, bytes: 0, segmentsDeleted: 0, tornBytesDropped: 0 };
  const logOptions = (logDir: string, name: string, retained: boolean): TopicLogOptions => ({
    dir: logDir,
    name,
    sync,
    segmentBytes,
    retentionBytes: retained ? retentionBytes : Infinity,
    retentionMs: retained ? retentionMs : Infinity,
    logger,
    stats,
  });

  const topics = new Map<string, { log: TopicLog; offsets: OffsetStore }>();
  const stateLogs = new Map<string, Promise<TopicLog>>();
  try {
    for (const name of TOPIC_NAMES) {
      const logDir = join(dir, 'topics', name);
      topics.set(name, { log: await TopicLog.open(logOptions(logDir, name, true)), offsets: new OffsetStore(logDir, sync) });
    }
  } catch (err) {
    for (const t of topics.values()) await t.log.close();
    await lock.release();
    throw err;
  }

  const enforceRetention = async (now = Date.now()): Promise<number> => {
    let deleted = 0;
    for (const t of topics.values()) deleted += await t.log.enforceRetention(now);
    return deleted;
  };
  await enforceRetention();
  const retentionTimer = setInterval(() => {
    enforceRetention(Date.now()).catch((err: unknown) => logger.error({ err }, 'retention failed'));
  }, Math.max(1000, Math.min(retentionMs / 4, 5 * 60_000)));
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
    return t.log.append(prepared, Date.now());
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
    try {
      const starts = await Promise.all(
        entries.map(([topic]) => {
          const t = topics.get(topic) as { log: TopicLog; offsets: OffsetStore };
          return startPosition(t.log, t.offsets, group, opts.start ?? 'earliest', logger);
        }),
      );
      loops = entries.map(([topic, handler], i) => {
        const t = topics.get(topic) as { log: TopicLog; offsets: OffsetStore };
        const consumer = {
          topic,
          group,
          log: t.log,
          offsets: t.offsets,
          handler,
          maxBatch,
          start: opts.start ?? 'earliest',
          retry,
          logger,
          deadLetter,
          signal: controller.signal,
          idleWaitMs: IDLE_WAIT_MS,
        } as const;
        return runConsumer(consumer, starts[i] as number).catch((err: unknown) => {
          logger.error({ topic, group, err }, 'consumer stopped unexpectedly');
        });
      });
    } catch (err) {
      for (const c of claims) consuming.delete(c);
      throw err;
    }
    let stopping: Promise<void> | null = null;
    const subscription: Subscription = {
      close(): Promise<void> {
        stopping ??= (async () => {
          controller.abort();
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

  const stateLog = async <T>(name: string, decode: (value: unknown) => T): Promise<StateLog<T>> => {
    if (closed || closing) throw closedError();
    if (!STATE_NAME.test(name)) throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `state log name "${name}" must match ${STATE_NAME.source}`);
    let opening = stateLogs.get(name);
    if (!opening) {
      opening = (async () => {
        const log = await TopicLog.open(logOptions(join(dir, 'state', name), `state.${name}`, false));
        await compactIfWorthIt(log, logger);
        return log;
      })();
      stateLogs.set(name, opening);
      opening.catch(() => stateLogs.delete(name));
    }
    return stateLogOn(await opening, decode);
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(retentionTimer);
      // Handlers still running may publish their outputs: stop consumers before refusing publishes.
      await Promise.all([...subscriptions].map((s) => s.close()));
      closed = true;
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
    stats: () => ({ ...stats }),
    enforceRetention,
  };
}
