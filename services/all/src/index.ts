export { buildPipeline } from './pipeline';
export type { Pipeline, PipelineDeps, PipelineOptions } from './pipeline';
export { PipelineConfigSchema, loadPipelineConfig } from './config';
export type { PipelineConfig } from './config';
export { openBus, openStore, openRegistry, DEMO_REGISTRY_FILE } from '@ganzhi/runtime';
