export { createKafkaBus } from './kafka-bus';
export type { KafkaBus, KafkaBusStats } from './kafka-bus';
export type { KafkaBusOptions } from './options';
export type { ProducerStats } from './producer';
export type { ConsumerStats } from './consumer';
