export { buildNotifier } from './build';
export type { Notifier, NotifierDeps, NotifierOptions, NotificationRecord, NotifierStats } from './build';
export { NotifierConfigSchema, NotifierSettingsSchema, notifierOptions } from './config';
export type { NotifierConfig, NotifierSettings } from './config';
export { prepareNotifier } from './setup';
export type { NotifierSetup } from './setup';
export { createSender } from './sender';
export type { Sender } from './sender';
export { buildNotificationsHttp } from './http';
