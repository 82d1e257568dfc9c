import type { Logger } from '@ganzhi/log';
import { TOPICS, isGanzhiError, isRetryable, type DeadLetter, type TopicName } from '@ganzhi/schemas';
import type { Delivery } from '../bus';
import { deadLetterOf, describeIssues } from '../dead-letter';
import type { LogRecord } from './frame';
import type { OffsetStore } from './offsets';
import type { ReadCursor, TopicLog } from './topic-log';

export interface RetryPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

export type AnyBatchHandler = (batch: readonly Delivery<unknown>[]) => Promise<void>;

export interface ConsumerOptions {
  readonly topic: TopicName;
  readonly group: string;
  readonly log: TopicLog;
  readonly offsets: OffsetStore;
  readonly handler: AnyBatchHandler;
  readonly maxBatch: number;
  readonly start: 'earliest' | 'latest';
  readonly retry: RetryPolicy;
  readonly logger: Logger;
  /** Publishes dead letters durably. */
  readonly deadLetter: (letters: DeadLetter[]) => Promise<void>;
  readonly signal: AbortSignal;
  /** Longest wait for an append notification before looking at the log again. */
  readonly idleWaitMs: number;
}

interface Decoded {
  readonly deliveries: Delivery<unknown>[];
  /** The value of each delivery as read (before schema decoding), for dead letters. */
  readonly originals: unknown[];
  readonly rejected: DeadLetter[];
}

/**
 * Where a group starts: its committed offset, or the earliest/latest offset of the log when it has
 * none. Resolves once the position is known, so that records appended after `subscribe` resolves
 * reach a 'latest' group.
 */
export async function startPosition(log: TopicLog, offsets: OffsetStore, group: string, start: 'earliest' | 'latest', logger: Logger): Promise<number> {
  const committed = await offsets.read(group);
  if (committed === null) return start === 'latest' ? log.nextOffset : log.earliestOffset;
  if (committed > log.nextOffset) {
    // Only after a power loss with sync 'write': the log lost records the group had consumed.
    logger.warn({ log: log.name, group, committed, next: log.nextOffset }, 'committed position is past the end of the log; continuing from the end');
    return log.nextOffset;
  }
  return committed;
}

/**
 * One group's delivery loop over one topic: read a batch, decode it, hand it to the handler, and
 * commit past it once the handler resolved (or the batch was dead-lettered). Runs until aborted.
 */
export async function runConsumer(o: ConsumerOptions, from: number): Promise<void> {
  const { log, signal, logger } = o;
  let committed = from;
  let cursor: ReadCursor = { offset: from, segmentBase: -1, pos: 0 };
  let failures = 0;
  while (!signal.aborted) {
    try {
      if (cursor.offset < log.earliestOffset) {
        logger.warn({ topic: o.topic, group: o.group, from: cursor.offset, earliest: log.earliestOffset }, 'group position was deleted by retention; continuing from the earliest retained record');
        cursor = { offset: log.earliestOffset, segmentBase: -1, pos: 0 };
      }
      const records = await log.read(cursor, o.maxBatch);
      const last = records[records.length - 1];
      if (!last) {
        await log.waitForAppend(cursor.offset, signal, o.idleWaitMs);
        continue;
      }
      if (signal.aborted) return;
      const batch = decode(o, records);
      if (batch.deliveries.length > 0 && !(await deliver(o, batch))) return;
      if (batch.rejected.length > 0) await o.deadLetter(batch.rejected);
      await o.offsets.commit(o.group, last.offset + 1);
      committed = last.offset + 1;
      failures = 0;
    } catch (err) {
      if (signal.aborted) return;
      failures++;
      logger.error({ topic: o.topic, group: o.group, offset: committed, err }, 'consumer failed; retrying from the committed position');
      cursor = { offset: committed, segmentBase: -1, pos: 0 };
      await sleep(backoff(o.retry, failures), signal);
    }
  }
}

function decode(o: ConsumerOptions, records: readonly LogRecord[]): Decoded {
  const schema = TOPICS[o.topic].schema;
  const deliveries: Delivery<unknown>[] = [];
  const originals: unknown[] = [];
  const rejected: DeadLetter[] = [];
  const now = Date.now();
  for (const r of records) {
    let value: unknown;
    let reason: string;
    try {
      value = JSON.parse(r.json);
      const parsed = schema.safeParse(value);
      if (parsed.success) {
        deliveries.push({ topic: o.topic, partition: 0, offset: String(r.offset), key: r.key, value: parsed.data, timestamp: r.timestamp });
        originals.push(value);
        continue;
      }
      reason = describeIssues(parsed.error.issues);
    } catch {
      value = r.json;
      reason = 'value is not valid JSON';
    }
    const source = { topic: o.topic, partition: 0, offset: String(r.offset), key: r.key, value };
    rejected.push(deadLetterOf(o.group, 'GANZHI_ERR_BUS_DECODE', reason, source, now));
  }
  return { deliveries, originals, rejected };
}

/**
 * Hands the batch to the handler until it resolves (true), or dead-letters it on a non-retryable
 * error (true). Returns false when aborted while retrying: nothing is committed.
 */
async function deliver(o: ConsumerOptions, batch: Decoded): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await o.handler(batch.deliveries);
      return true;
    } catch (err) {
      if (!isRetryable(err)) {
        const code = isGanzhiError(err) ? err.code : 'GANZHI_ERR_BUS_DECODE';
        const reason = err instanceof Error ? err.message : String(err);
        const now = Date.now();
        const letters = batch.deliveries.map((d, i) => deadLetterOf(o.group, code, reason, { ...d, value: batch.originals[i] }, now));
        await o.deadLetter(letters);
        o.logger.warn({ topic: o.topic, group: o.group, code, records: letters.length }, 'handler failed; batch sent to the dead-letter topic');
        return true;
      }
      if (o.signal.aborted) return false;
      const delay = backoff(o.retry, attempt);
      o.logger.warn({ topic: o.topic, group: o.group, attempt, delayMs: delay, err }, 'handler failed; redelivering the batch after a backoff');
      await sleep(delay, o.signal);
      if (o.signal.aborted) return false;
    }
  }
}

export function backoff(retry: RetryPolicy, attempt: number): number {
  return Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(attempt - 1, 30));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
