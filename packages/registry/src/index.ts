export { DeviceSchema, DeviceModelSchema, UnitsSchema, OperatorSchema, RegistryFileSchema, AttributesSchema, SecretHashSchema } from './schema';
export type { Device, DeviceModel, Operator, RegistryFile } from './schema';
export { hashSecret, verifySecret, DEFAULT_SCRYPT } from './secrets';
export { createRegistry, parseRegistry, loadRegistryFile } from './registry';
export type { Registry, Principal } from './registry';
export { createSecretVerifier } from './verifier';
export type { SecretVerifier } from './verifier';
export { ReceiverSchema, DutyGroupSchema, SecretRefSchema, NotifyLanguageSchema } from './receivers';
export type { Receiver, ReceiverType, DutyGroup, SecretRef, NotifyLanguage } from './receivers';
