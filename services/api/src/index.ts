export { buildApi, DEFAULT_CONSOLE_DIR } from './build';
export type { Api, ApiDeps, ApiOptions } from './build';
export { ApiConfigSchema, ApiHttpConfigShape, checkApiHttp, readTls } from './config';
export type { ApiHttpConfig } from './config';
export { API_ACTIONS, authorize } from './auth';
export type { ApiAction } from './auth';
