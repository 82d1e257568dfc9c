import { z } from 'zod';
import { envInt, envPort, envString, loadConfig, type Env } from '@ganzhi/config';
import { RuntimeConfigSchema, checkRuntime } from '@ganzhi/runtime';

export const GatewayConfigSchema = z.object({
  /** Address the MQTT listeners bind to. */
  GANZHI_MQTT_HOST: envString('0.0.0.0').describe('address the MQTT TCP and WebSocket listeners bind to'),
  GANZHI_MQTT_PORT: envPort(1883).describe('MQTT over TCP port (0 = any free port)'),
  GANZHI_MQTT_WS_PORT: envPort(8083).describe('MQTT over WebSocket port (0 = any free port)'),
  GANZHI_MAX_PAYLOAD_BYTES: envInt(65_536, 64, 16 * 1024 * 1024).describe('largest accepted PUBLISH payload; a larger one closes the connection'),
  GANZHI_MQTT_DRAIN_TIMEOUT_MS: envInt(5_000, 100, 600_000).describe('a client whose socket does not drain within this is disconnected'),
  GANZHI_MQTT_MAX_BUFFERED_BYTES: envInt(1_048_576, 65_536, 256 * 1024 * 1024).describe('a client with more unsent bytes than this is disconnected'),
  GANZHI_AUTH_MAX_FAILURES_PER_ADDRESS: envInt(10, 1, 1_000_000).describe('failed logins from one address within the window before its logins are refused unchecked'),
  GANZHI_AUTH_MAX_FAILURES_PER_USER: envInt(5, 1, 1_000_000).describe('failed logins for one username within the window before its logins are refused unchecked'),
  GANZHI_AUTH_FAILURE_WINDOW_SEC: envInt(60, 1, 86_400).describe('how long failed logins count against an address or username'),
  GANZHI_GATEWAY_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .default('gw-1')
    .describe('this gateway instance (its own consumer group for operator alerts)'),
});
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

export const loadGatewayConfig = (env: Env) => loadConfig(GatewayConfigSchema, env);

/** The gateway running alone (distributed mode): its own settings and the shared runtime ones. */
export const GatewayServiceConfigSchema = GatewayConfigSchema.extend(RuntimeConfigSchema.shape).superRefine(checkRuntime);
