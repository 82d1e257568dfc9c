export { RuntimeConfigSchema, checkRuntime, DEMO_REGISTRY_FILE, DEFAULT_RULES_DIR } from './config';
export type { RuntimeConfig } from './config';
export { openBus, openStore, openRegistry } from './adapters';
export { runMain, closeAll } from './run';
export type { Running } from './run';
export { openSilencesView } from './silences';
export { openAuditKeyring, keyringOf, newKeyringFile, defaultKeyFile, KeyringFileSchema } from './audit-keys';
export type { KeyringFile } from './audit-keys';
export { openHeadsView } from './silences';
