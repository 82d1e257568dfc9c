import type { z } from 'zod';
import { AlertChangeSchema } from './alert';
import { AuditHeadSchema, RefusalSchema } from './audit';
import { CommandResultSchema, CommandSchema } from './command';
import { ConnectionChangeSchema } from './connection';
import { DeadLetterSchema } from './deadletter';
import { RawEnvelopeSchema } from './raw';
import { ReadingSchema } from './reading';
import { SignalSchema } from './signal';
import { SilenceChangeSchema } from './silence';

/**
 * The typed topic catalogue: the one source of truth for the bus. Every topic is versioned in its
 * name (a breaking change is a new topic), has a schema, and a key function: records about one
 * device share a key, so one consumer owns each device's state and per-device order holds.
 */
export const TOPICS = {
  'ganzhi.raw.v1': {
    schema: RawEnvelopeSchema,
    key: (v: z.infer<typeof RawEnvelopeSchema>) => v.deviceId,
    description: 'MQTT telemetry as accepted by the gateway (PUBACK follows the durable append)',
  },
  'ganzhi.readings.v1': {
    schema: ReadingSchema,
    // Keyed by site (falling back to the device): every device of a site lands on one partition,
    // so one rule evaluator owns both each device's state and its site's (site-wide composite
    // rules, e.g. smoke at one detector AND heat at another). Per-device order still holds.
    key: (v: z.infer<typeof ReadingSchema>) => v.site ?? v.deviceId,
    description: 'normalized readings with units and quality flags',
  },
  'ganzhi.signals.v1': {
    schema: SignalSchema,
    key: (v: z.infer<typeof SignalSchema>) => v.deviceId,
    description: 'rule verdicts: raise at a grade, or clear',
  },
  'ganzhi.alerts.v1': {
    schema: AlertChangeSchema,
    key: (v: z.infer<typeof AlertChangeSchema>) => v.deviceId,
    description: 'alert state changes (each with the full state after it)',
  },
  'ganzhi.commands.v1': {
    schema: CommandSchema,
    key: (v: z.infer<typeof CommandSchema>) => v.deviceId,
    description: 'authenticated operator actions on alerts',
  },
  'ganzhi.command-results.v1': {
    schema: CommandResultSchema,
    key: (v: z.infer<typeof CommandResultSchema>) => v.actor,
    description: 'outcome of each operator command (applied, or refused with a code and reason)',
  },
  'ganzhi.silences.v1': {
    schema: SilenceChangeSchema,
    key: (v: z.infer<typeof SilenceChangeSchema>) => v.id,
    description: 'silences (maintenance windows) set or removed by operators; every alert manager reads all of them',
  },
  'ganzhi.connections.v1': {
    schema: ConnectionChangeSchema,
    key: (v: z.infer<typeof ConnectionChangeSchema>) => v.deviceId,
    description: 'device MQTT connections and disconnections as the gateways see them',
  },
  'ganzhi.deadletter.v1': {
    schema: DeadLetterSchema,
    key: (v: z.infer<typeof DeadLetterSchema>) => v.deviceId ?? v.stage,
    description: 'records a stage could not process, with stage, error code and reason',
  },
  'ganzhi.audit.v1': {
    schema: RefusalSchema,
    key: (v: z.infer<typeof RefusalSchema>) => v.actor,
    description: 'refused actions (who tried what, by which path, and why); kept like the alert history',
  },
  'ganzhi.audit-heads.v1': {
    schema: AuditHeadSchema,
    key: (v: z.infer<typeof AuditHeadSchema>) => v.deviceId,
    description: "each device's signed audit-chain head (checkpoints; compacted on Kafka)",
  },
} as const;

export type Topics = typeof TOPICS;
export type TopicName = keyof Topics;
export type TopicValue<N extends TopicName> = z.infer<Topics[N]['schema']>;
export const TOPIC_NAMES = Object.keys(TOPICS) as TopicName[];

export function topicKey<N extends TopicName>(topic: N, value: TopicValue<N>): string {
  return (TOPICS[topic].key as (v: TopicValue<N>) => string)(value);
}
