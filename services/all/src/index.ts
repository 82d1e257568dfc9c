export { buildPipeline } from './pipeline';
export type { Pipeline, PipelineDeps, PipelineOptions } from './pipeline';
export { PipelineConfigSchema, loadPipelineConfig, DEMO_REGISTRY_FILE } from './config';
export type { PipelineConfig } from './config';
export { openBus, openStore } from './adapters';
