export { createQuestDbStore, classifyIlpError } from './questdb-store';
export type { QuestDbStore } from './questdb-store';
export { questDbOptionsFromEnv, resolveEndpoint } from './config';
export type { QuestDbStoreOptions, ResolvedEndpoint } from './config';
export type { BatchWriterStats, Clock } from './writer';
