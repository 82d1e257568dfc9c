export { IdSchema, DeviceKindSchema, DEVICE_KINDS, EpochMsSchema } from './ids';
export type { DeviceKind } from './ids';
export { LevelSchema, LEVELS, SEVERITY, GRADE, compareLevels, maxLevel } from './levels';
export type { Level } from './levels';
export { PayloadFormatSchema, RawEnvelopeSchema } from './raw';
export type { PayloadFormat, RawEnvelope } from './raw';
export { QualitySchema, MetricValueSchema, ReadingSchema, PeriodSchema } from './reading';
export type { Quality, MetricValue, Reading, Period } from './reading';
export { SignalSchema } from './signal';
export type { Signal } from './signal';
export {
  AlertStatusSchema,
  ConditionSchema,
  AlertEventTypeSchema,
  ActorSchema,
  AlertCategorySchema,
  HashSchema,
  AlertChangeSchema,
  makeAlertId,
  deviceIdOfAlert,
  alertColumns,
} from './alert';
export type { AlertStatus, Condition, AlertEventType, AlertCategory, AlertChange, AlertColumns, StoredAlertEvent } from './alert';
export { CommandActionSchema, CommandBodySchema, CommandSchema, CommandResultSchema } from './command';
export type { CommandAction, CommandBody, Command, CommandResult } from './command';
export { DeadLetterSchema } from './deadletter';
export type { DeadLetter } from './deadletter';
export { TOPICS, TOPIC_NAMES, topicKey } from './topics';
export type { Topics, TopicName, TopicValue } from './topics';
export { ERRORS, GanzhiError, fromWireError, isGanzhiError, isRetryable, toWireError } from './errors';
export type { ErrorCode, WireError } from './errors';
export { SilenceSchema, SilenceChangeSchema } from './silence';
export type { Silence, SilenceChange } from './silence';
export { RefusalSchema, KeyIdSchema, AuditHeadSchema, AuditCheckpointSchema } from './audit';
export type { Refusal, AuditHead, AuditCheckpoint } from './audit';
export { ConnectionChangeSchema } from './connection';
export type { ConnectionChange } from './connection';
export * as api from './api';
