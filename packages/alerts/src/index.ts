export { createAlertsCore } from './manager';
export type { AlertsCore, AlertsContext, AlertsOutcome } from './manager';
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
