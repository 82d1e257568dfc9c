export type { Bus, BusRecord, Delivery, BatchHandler, HandlerMap, SubscribeOptions, Subscription, StateLog } from './bus';
export { StateCache, createSerialQueue } from './state-cache';
