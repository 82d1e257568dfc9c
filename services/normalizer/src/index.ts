export { buildNormalizer, statusReading } from './build';
export type { Normalizer, NormalizerDeps } from './build';
