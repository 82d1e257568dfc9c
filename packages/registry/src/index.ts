export { DeviceSchema, OperatorSchema, RegistryFileSchema, AttributesSchema, SecretHashSchema } from './schema';
export type { Device, Operator, RegistryFile } from './schema';
export { hashSecret, verifySecret, DEFAULT_SCRYPT } from './secrets';
export { createRegistry, parseRegistry, loadRegistryFile } from './registry';
export type { Registry, Principal } from './registry';
export { ROLES, ACTIONS, ACTION_NAMES, HTTP_ROUTES, allows, highestRole, commandAction, httpAction, subscribeAction, silenceLimitMinutes } from './policy';
export type { Role, Action, SubscribeTarget } from './policy';
