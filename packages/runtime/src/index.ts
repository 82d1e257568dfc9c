export { RuntimeConfigSchema, checkRuntime, DEMO_REGISTRY_FILE, DEFAULT_RULES_DIR, DEFAULT_NOTIFY_ROUTES_FILE } from './config';
export type { RuntimeConfig } from './config';
export { openBus, openStore, openRegistry, retentionClasses } from './adapters';
export { runMain, closeAll } from './run';
export type { Running } from './run';
export { openSilencesView } from './silences';
