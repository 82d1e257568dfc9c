import type { Logger } from '@ganzhi/log';
import type { DeadLetter, TopicName } from '@ganzhi/schemas';
import type { Delivery } from '../bus';
import { deadLetterOf } from '../dead-letter';
import { codeOf, failureKind, isolatePoison, messageOf } from '../isolate';
import type { ActiveConsumer, LagGate } from './backpressure';
import type { DecodeCache, DecodeResult } from './decode-cache';
import type { LogRecord } from './frame';
import type { Committer } from './checkpoints';
import type { ReadCursor, TopicLog } from './topic-log';

export interface RetryPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Attempts at a batch failing with a transient (not an outage) error before its records at fault are parked. */
  readonly maxAttempts: number;
}

export type AnyBatchHandler = (batch: readonly Delivery<unknown>[]) => Promise<void>;

export interface ConsumerOptions {
  readonly topic: TopicName;
  readonly group: string;
  readonly log: TopicLog;
  /** Commits the group's position (coalesced; flushed when the loop ends). */
  readonly commits: Committer;
  /** Backpressure bookkeeping: the loop reports its progress to it and publishes on its behalf. */
  readonly gate: LagGate;
  readonly me: ActiveConsumer;
  /** Decoded records shared with the topic's other groups. */
  readonly cache: DecodeCache;
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
  /** The JSON text of each delivery as read (before schema decoding), for dead letters. */
  readonly originals: string[];
  readonly rejected: DeadLetter[];
}

/**
 * Where a group starts: its committed offset, or the earliest/latest offset of the log when it has
 * none. Resolves once the position is known, so that records appended after `subscribe` resolves
 * reach a 'latest' group.
 */
export function startPosition(log: TopicLog, committed: number | null, group: string, start: 'earliest' | 'latest', logger: Logger): number {
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
 * move past it once the handler resolved (or the batch was dead-lettered); the position is
 * committed coalesced, and flushed when the loop ends. Runs until aborted.
 */
export async function runConsumer(o: ConsumerOptions, from: number): Promise<void> {
  try {
    await o.gate.runAs(o.me, () => loop(o, from));
  } finally {
    await o.commits.flush();
  }
}

async function loop(o: ConsumerOptions, from: number): Promise<void> {
  const { log, signal, logger } = o;
  let committed = from;
  let cursor: ReadCursor = { offset: from, segmentBase: -1, pos: 0 };
  let failures = 0;
  while (!signal.aborted) {
    try {
      if (cursor.offset < log.earliestOffset) {
        // Retention deleted records this group had not read: that is data loss for the group.
        const lost = log.earliestOffset - cursor.offset;
        log.noteRetentionLoss(lost);
        logger.error(
          { code: 'GANZHI_ERR_BUS_RETENTION_LOSS', topic: o.topic, group: o.group, from: cursor.offset, earliest: log.earliestOffset, lost },
          'records were deleted by retention before this group read them; continuing from the earliest retained record',
        );
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
      committed = last.offset + 1;
      o.commits.note(committed);
      o.gate.advance(o.me, committed);
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
  const deliveries: Delivery<unknown>[] = [];
  const originals: string[] = [];
  const rejected: DeadLetter[] = [];
  const now = Date.now();
  for (const r of records) {
    let result = o.cache.get(r.offset);
    if (result) {
      // Another group decoded it; unless a third one still has to read it, this is its last use.
      if (!o.gate.othersBefore(o.me, r.offset)) o.cache.delete(r.offset);
    } else {
      result = decodeRecord(o.topic, r);
      if (o.gate.othersBefore(o.me, r.offset)) o.cache.set(r.offset, result);
    }
    if ('delivery' in result) {
      deliveries.push(result.delivery);
      originals.push(r.json);
      continue;
    }
    const source = { topic: o.topic, partition: 0, offset: String(r.offset), key: r.key, value: result.value };
    rejected.push(deadLetterOf(o.group, 'GANZHI_ERR_BUS_DECODE', result.reason, source, now));
  }
  return { deliveries, originals, rejected };
}

/**
 * Parses one record (pure). No schema check: the embedded log holds only what this process's own
 * stages produced (validated where it entered: device payloads by the codecs, commands and silences
 * by the API and the alert manager, config at start-up) and framed with a CRC-32, so checking it
 * again at every hop would only cost CPU. A value of the wrong shape (a stage's bug) reaches the
 * handler, and the handler's failure parks it as poison. Bytes that are not JSON are dead-lettered.
 */
export function decodeRecord(topic: TopicName, r: LogRecord): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(r.json);
  } catch {
    return { reason: 'value is not valid JSON', value: r.json };
  }
  return { delivery: { topic, partition: 0, offset: String(r.offset), key: r.key, value, timestamp: r.timestamp } };
}

function originalValue(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

/**
 * Hands the batch to the handler until every record is handled or parked (true); false when
 * aborted while retrying: nothing is committed. Records that make the handler fail with a poison
 * error are found (the batch is halved until they are alone) and parked in the dead-letter
 * topic; the others are handled. Outages are retried for as long as they last; other retryable
 * errors `maxAttempts` times, after which the records still failing are parked too.
 */
async function deliver(o: ConsumerOptions, batch: Decoded): Promise<boolean> {
  const indexes = batch.deliveries.map((_, i) => i);
  const run = (part: readonly number[]) => o.handler(part.map((i) => batch.deliveries[i]!));
  for (let attempt = 1; ; attempt++) {
    try {
      const exhausted = attempt > o.retry.maxAttempts;
      const parked = await isolatePoison(indexes, run, (err) => failureKind(err) === 'poison' || (exhausted && failureKind(err) === 'transient'));
      if (parked.length > 0) {
        const now = Date.now();
        const letters = parked.map(({ item: i, error }) => {
          const d = batch.deliveries[i]!;
          return deadLetterOf(o.group, codeOf(error), messageOf(error), { ...d, value: originalValue(batch.originals[i] as string) }, now);
        });
        await o.deadLetter(letters);
        o.logger.error({ topic: o.topic, group: o.group, codes: [...new Set(letters.map((l) => l.code))], records: letters.length, of: indexes.length, offsets: letters.map((l) => l.id) }, 'records the stage failed on were parked in the dead-letter topic');
      }
      return true;
    } catch (err) {
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
