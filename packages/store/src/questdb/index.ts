export { createQuestDbStore, classifyIlpError } from './questdb-store';
export type { QuestDbStore } from './questdb-store';
export { questDbOptionsFromEnv, resolveEndpoint, senderConfig } from './config';
export type { QuestDbStoreOptions } from './config';
export type { BatchWriterStats, Clock } from './writer';
