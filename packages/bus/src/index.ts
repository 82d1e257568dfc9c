export type { Bus, BusRecord, Delivery, BatchHandler, HandlerMap, SubscribeOptions, Subscription, StateLog, StateLogOptions } from './bus';
export { deadLetterOf, describeIssues } from './dead-letter';
export type { DeadLetterSource } from './dead-letter';
export { createEmbeddedBus } from './embedded/embedded-bus';
export type { EmbeddedBus, EmbeddedBusOptions, EmbeddedBusStats } from './embedded/embedded-bus';
export { StateCache, createSerialQueue } from './state-cache';
export { createKafkaBus, type KafkaBus, type KafkaBusOptions, type KafkaBusStats } from './kafka';
export { openKeyedView } from './keyed-view';
export type { KeyedView, KeyedViewOptions } from './keyed-view';
