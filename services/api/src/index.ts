export { buildApi } from './build';
export type { Api, ApiDeps, ApiOptions } from './build';
export { ApiConfigSchema } from './config';
