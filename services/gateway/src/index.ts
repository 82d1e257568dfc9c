export { buildGateway } from './build';
export type { Gateway, GatewayDeps, GatewayStats } from './build';
export { GatewayConfigSchema, GatewayServiceConfigSchema, loadGatewayConfig, envListenPort, ProtocolConfigShape, checkListeners } from './config';
export { buildProtocolLinks, mqttAnswer } from './protocols';
export type { ProtocolLinks, ProtocolPorts, LinkStats } from './protocols';
export type { GatewayConfig } from './config';
export { routePublish, maySubscribe, COMMAND_TOPIC, replyTopic, deviceTelemetryTopic, deviceStatusTopic } from './acl';
export { alertTopic } from './notify';
