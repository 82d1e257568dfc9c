import type { DeadLetter, TopicName } from '@ganzhi/schemas';

const ID = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_REASON = 2048;

export interface DeadLetterSource {
  readonly topic: TopicName;
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  /** The record's value as it was read from the log (before schema decoding). */
  readonly value: unknown;
}

/**
 * The dead-letter record for one record a consumer group could not process. The id is derived
 * from the position, so redelivering the same failure yields the same id (idempotent downstream).
 */
export function deadLetterOf(stage: string, code: string, reason: string, source: DeadLetterSource, at: number): DeadLetter {
  return {
    id: `${stage}/${source.topic}/${source.partition}/${source.offset}`,
    stage,
    code,
    reason: reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason,
    at,
    ...(ID.test(source.key) ? { deviceId: source.key } : {}),
    source: { topic: source.topic, key: source.key, value: source.value },
  };
}

/** A short, readable account of why a value failed its schema (first few issues). */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const shown = issues.slice(0, 5).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  return issues.length > 5 ? `${shown.join('; ')}; and ${issues.length - 5} more` : shown.join('; ');
}
