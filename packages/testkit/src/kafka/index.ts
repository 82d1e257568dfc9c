export { startKafkaPeer, reportKafkaPeer, runTopicPrefix } from './peer';
export type { KafkaPeer, KafkaPeerControl, KafkaPeerKind, KafkaPeerOptions, KafkaPeerStart } from './peer';
export { startMockCluster, mockUnavailableReason } from './mock-cluster';
export type { MockCluster } from './mock-cluster';
export { findDockerEngine } from './docker';
export { startKafkaProxy } from './proxy';
export type { KafkaProxy, KafkaProxyOptions } from './proxy';
export type { SaslMechanism } from './sasl-server';
