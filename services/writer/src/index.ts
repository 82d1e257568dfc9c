export { buildWriter } from './build';
export type { Writer, WriterDeps } from './build';
