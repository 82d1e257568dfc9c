export { RuntimeConfigSchema, OpsConfigSchema, checkRuntime, DEMO_REGISTRY_FILE, DEFAULT_RULES_DIR, DEFAULT_NOTIFY_ROUTES_FILE } from './config';
export type { RuntimeConfig } from './config';
export { openBus, openStore, openRegistry, retentionClasses } from './adapters';
export { runMain, closeAll } from './run';
export type { Running, OpsContext } from './run';
export { startOps } from './ops';
export type { OpsServer, OpsOptions } from './ops';
export { GANZHI_VERSION } from './version';
export { openSilencesView } from './silences';
