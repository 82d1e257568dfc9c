export { createMetrics, FAST_SECONDS, EVAL_SECONDS, ACK_SECONDS, DELIVERY_SECONDS } from './metrics';
export type { Metrics, MetricsOptions, LagSource, ThreadMetricsSource } from './metrics';
export { instrumentBus, observeAlertChange } from './bus';
export type { ObservableBus } from './bus';
export { instrumentStore } from './store';
export type { ObservedStore } from './store';
export { instrumentEngine } from './rules';
export { overlay } from './delegate';
