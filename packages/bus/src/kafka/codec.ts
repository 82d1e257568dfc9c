import { GanzhiError, TOPICS, isGanzhiError, topicKey } from '@ganzhi/schemas';
import type { ErrorCode, TopicName, TopicValue } from '@ganzhi/schemas';
import type { Delivery } from '../bus';
import { deadLetterOf, describeIssues } from '../dead-letter';
import type { OutRecord } from './batcher';

export const DEADLETTER_TOPIC = 'ganzhi.deadletter.v1' satisfies TopicName;

/** A record as fetched, before decoding (the subset of a kafkajs message this adapter reads). */
export interface FetchedRecord {
  readonly topic: TopicName;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
}

export function encodeValue(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

export function toOutRecord(topic: string, key: string, value: unknown): OutRecord {
  return { topic, key, value: value === null ? null : encodeValue(value) };
}

export type Decoded<N extends TopicName> =
  | { readonly ok: true; readonly delivery: Delivery<TopicValue<N>> }
  | { readonly ok: false; readonly reason: string };

/** Decodes a fetched record with its topic's schema; invalid JSON, tombstones and schema misses fail. */
export function decodeRecord<N extends TopicName>(topic: N, r: FetchedRecord): Decoded<N> {
  if (r.value === null) return { ok: false, reason: 'empty value (tombstone) on a catalogue topic' };
  let json: unknown;
  try {
    json = JSON.parse(r.value.toString('utf8'));
  } catch {
    return { ok: false, reason: 'value is not valid JSON' };
  }
  const parsed = TOPICS[topic].schema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error.issues) };
  return {
    ok: true,
    delivery: {
      topic,
      partition: r.partition,
      offset: r.offset,
      key: keyOf(r),
      value: parsed.data as TopicValue<N>,
      timestamp: Number(r.timestamp),
    },
  };
}

export function keyOf(r: { readonly key: Buffer | null }): string {
  return r.key === null ? '' : r.key.toString('utf8');
}

/** The original value, as JSON when it parses, else as text. */
function sourceValue(value: Buffer | null): unknown {
  if (value === null) return null;
  const text = value.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * A dead letter for a record a stage could not process (the same record shape as the embedded
 * bus writes; its id is derived from the position, so writing it twice is recognisably the same).
 */
export function deadLetterFor(stage: string, r: FetchedRecord, code: ErrorCode, reason: string, at: number): OutRecord {
  const source = { topic: r.topic, partition: r.partition, offset: r.offset, key: keyOf(r), value: sourceValue(r.value) };
  const letter = deadLetterOf(stage, code, reason, source, at);
  return toOutRecord(DEADLETTER_TOPIC, topicKey(DEADLETTER_TOPIC, letter), letter);
}

/** The dead-letter code for a handler error: its own code when it has one. */
export function codeOf(err: unknown): ErrorCode {
  return isGanzhiError(err) ? err.code : 'GANZHI_ERR_BUS_DECODE';
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Kafka topic names: letters, digits, '.', '_' and '-', at most 249 characters. */
export function stateTopicName(name: string, prefix = ''): string {
  const topic = `${prefix}ganzhi.state.${name}`;
  if (!/^[A-Za-z0-9._-]+$/.test(name) || topic.length > 249) {
    throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `state log name "${name}" must be letters, digits, ".", "_" or "-"`);
  }
  return topic;
}
