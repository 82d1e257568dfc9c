export { buildAlertsService } from './build';
export type { AlertsService, AlertsServiceDeps, AlertsServiceOptions } from './build';
export { AlertsConfigSchema } from './config';
