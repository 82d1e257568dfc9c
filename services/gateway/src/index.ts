export { buildGateway } from './build';
export type { Gateway, GatewayDeps, GatewayStats } from './build';
export { GatewayConfigSchema, GatewayServiceConfigSchema, loadGatewayConfig, checkListeners } from './config';
export type { GatewayConfig } from './config';
export { routePublish, maySubscribe, COMMAND_TOPIC, replyTopic, deviceTelemetryTopic, deviceStatusTopic } from './acl';
export { alertTopic } from './notify';
