import { z } from 'zod';
import { envInt, envOptionalString, envPort, envString, loadConfig, type Env } from '@ganzhi/config';
import { RuntimeConfigSchema, checkRuntime } from '@ganzhi/runtime';

/** A listener's port: a number (0 = any free port) or `off` (no listener). */
export const envListenPort = (def: number | 'off') =>
  z
    .string()
    .default(String(def))
    .transform((v, ctx) => {
      const t = v.trim().toLowerCase();
      if (t === 'off' || t === '') return undefined;
      if (!/^\d{1,5}$/.test(t) || Number(t) > 65535) {
        ctx.addIssue({ code: 'custom', message: 'must be a port number 0..65535 or "off"' });
        return z.NEVER;
      }
      return Number(t);
    });

/** The protocol listeners' settings; their ports are off unless set (`npm start` turns them on). */
export const ProtocolConfigShape = {
  GANZHI_PROTOCOL_HOST: envOptionalString().describe('address the HJ 212 / SL 651 / GB/T 26875.3 listeners bind to (default: GANZHI_MQTT_HOST)'),
  GANZHI_HJ212_PORT: envListenPort('off').describe('HJ 212 over TCP listener port, or "off" (0 = any free port)'),
  GANZHI_SL651_PORT: envListenPort('off').describe('SL 651 (HEX) over TCP listener port, or "off"'),
  GANZHI_GBT26875_TCP_PORT: envListenPort('off').describe('GB/T 26875.3 over TCP listener port, or "off"'),
  GANZHI_GBT26875_UDP_PORT: envListenPort('off').describe('GB/T 26875.3 over UDP listener port, or "off"'),
  GANZHI_HJ212_IDLE_SEC: envInt(1800, 1, 86_400).describe('an HJ 212 connection silent this long is closed (minute data at least every 30 min, HJ 212-2017 MinInterval)'),
  GANZHI_SL651_IDLE_SEC: envInt(600, 1, 86_400).describe('an SL 651 connection silent this long is closed (ESC keeps a link 10 min; keep-alive 2FH every 1..255 s)'),
  GANZHI_GBT26875_IDLE_SEC: envInt(300, 1, 86_400).describe('a GB/T 26875.3 connection or UDP peer silent this long is closed / forgotten'),
  GANZHI_PROTOCOL_MAX_BUFFER_BYTES: envInt(65_536, 16_384, 16 * 1024 * 1024).describe('largest partial frame (and unread answers) held per protocol connection; more closes it'),
};

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
  ...ProtocolConfigShape,
});
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

export const loadGatewayConfig = (env: Env) => loadConfig(GatewayConfigSchema, env);

/** The gateway running alone (distributed mode): its own settings and the shared runtime ones. */
export const GatewayServiceConfigSchema = GatewayConfigSchema.extend(RuntimeConfigSchema.shape).superRefine(checkRuntime);
