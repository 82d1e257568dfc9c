export { createAlertsCore } from './manager';
export type { AlertsCore, AlertsContext, AlertsOutcome, AlertsCoreOptions } from './manager';
export {
  AlertsConfigSchema,
  EscalationConfigSchema,
  AutoCloseConfigSchema,
  InhibitionConfigSchema,
} from './config';
export type { AlertsConfig, AlertsConfigInput } from './config';
export { DeviceAlertsStateSchema, AlertTimersSchema, emptyState, nextDue } from './state';
export type { DeviceAlertsState, AlertTimers } from './state';
export { SilenceSchema, isSilenced, matchingSilences } from './silence';
export type { Silence, SilenceTarget } from './silence';
export { TRANSITIONS, allowedActions, refusalOf } from './transitions';
export type { Transition } from './transitions';
export { verifyChain, hashChange, canonicalJson, HASH_DOMAIN } from './chain';
export type { ChainVerdict, ChainProblem, VerifyOptions } from './chain';
export { createKeyring, signHead, headVerifies, signCheckpoint, checkpointVerifies, mac, MIN_KEY_BYTES } from './audit-key';
export type { AuditKeyring } from './audit-key';
export { verifyStoredEvents, expectedColumns } from './verify';
export type { AuditProblem, AuditReport, StoredColumns, StoredEvent, VerifyStoredOptions } from './verify';
