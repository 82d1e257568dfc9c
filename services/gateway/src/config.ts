import { accessSync, constants } from 'node:fs';
import { z } from 'zod';
import { envBool, envInt, envOptionalString, envPort, envString, loadConfig, type Env } from '@ganzhi/config';
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
  GANZHI_SL651_PORT: envListenPort('off').describe('SL 651 (HEX and ASCII mode) over TCP listener port, or "off"'),
  GANZHI_GBT26875_TCP_PORT: envListenPort('off').describe('GB/T 26875.3 over TCP listener port, or "off"'),
  GANZHI_GBT26875_UDP_PORT: envListenPort('off').describe('GB/T 26875.3 over UDP listener port, or "off"'),
  GANZHI_HJ212_IDLE_SEC: envInt(1800, 1, 86_400).describe('an HJ 212 connection silent this long is closed (minute data at least every 30 min, HJ 212-2017 MinInterval)'),
  GANZHI_SL651_IDLE_SEC: envInt(600, 1, 86_400).describe('an SL 651 connection silent this long is closed (ESC keeps a link 10 min; keep-alive 2FH every 1..255 s)'),
  GANZHI_GBT26875_IDLE_SEC: envInt(300, 1, 86_400).describe('a GB/T 26875.3 connection or UDP peer silent this long is closed / forgotten'),
  GANZHI_PROTOCOL_MAX_BUFFER_BYTES: envInt(65_536, 16_384, 16 * 1024 * 1024).describe('largest partial frame (and unread answers) held per protocol connection; more closes it'),
};

const TLS_FILES = ['GANZHI_TLS_CERT', 'GANZHI_TLS_KEY', 'GANZHI_TLS_CA'] as const;

/**
 * Cross-field rules of the MQTT listeners: TLS needs both a certificate and a key, every TLS file
 * must be readable (the error names the variable), client certificates need a CA, and switching
 * the plain listeners off needs TLS.
 */
export function checkListeners(c: GatewayListenersConfig, ctx: z.RefinementCtx): void {
  for (const name of TLS_FILES) {
    const path = c[name];
    if (path === undefined) continue;
    try {
      accessSync(path, constants.R_OK);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: [name], message: `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
    }
  }
  if ((c.GANZHI_TLS_CERT === undefined) !== (c.GANZHI_TLS_KEY === undefined)) {
    ctx.addIssue({ code: 'custom', path: [c.GANZHI_TLS_CERT === undefined ? 'GANZHI_TLS_CERT' : 'GANZHI_TLS_KEY'], message: 'GANZHI_TLS_CERT and GANZHI_TLS_KEY go together' });
  }
  if (c.GANZHI_MQTT_CLIENT_CERT === 'required' && c.GANZHI_TLS_CA === undefined) {
    ctx.addIssue({ code: 'custom', path: ['GANZHI_TLS_CA'], message: 'required when GANZHI_MQTT_CLIENT_CERT=required' });
  }
  if (!c.GANZHI_MQTT_PLAIN && c.GANZHI_TLS_CERT === undefined) {
    ctx.addIssue({ code: 'custom', path: ['GANZHI_MQTT_PLAIN'], message: 'the plain listeners can be switched off only when TLS is configured (GANZHI_TLS_CERT, GANZHI_TLS_KEY)' });
  }
}

export const GatewayConfigSchema = z.object({
  /** Address the MQTT listeners bind to. */
  GANZHI_MQTT_HOST: envString('0.0.0.0').describe('address the MQTT TCP and WebSocket listeners bind to'),
  GANZHI_MQTT_PORT: envPort(1883).describe('MQTT over TCP port (0 = any free port)'),
  GANZHI_MQTT_WS_PORT: envPort(8083).describe('MQTT over WebSocket port (0 = any free port)'),
  GANZHI_MQTT_PLAIN: envBool(true).describe('serve the plain MQTT listeners (TCP and WebSocket); false leaves only MQTT over TLS and secure WebSocket'),
  GANZHI_MQTT_TLS_PORT: envPort(8883).describe('MQTT over TLS port, when GANZHI_TLS_CERT and GANZHI_TLS_KEY are set (0 = any free port)'),
  GANZHI_MQTT_WSS_PORT: envPort(8084).describe('MQTT over secure WebSocket port, when TLS is configured (0 = any free port)'),
  GANZHI_TLS_CERT: envOptionalString().describe('PEM certificate (chain) of the MQTT TLS listeners; `npm run dev-certs` makes a development one'),
  GANZHI_TLS_KEY: envOptionalString().describe('PEM private key of GANZHI_TLS_CERT'),
  GANZHI_TLS_CA: envOptionalString().describe('PEM CA bundle that signs device client certificates: a device may then authenticate by certificate (CN = device id)'),
  GANZHI_MQTT_CLIENT_CERT: z.enum(['optional', 'required']).default('optional').describe('with GANZHI_TLS_CA: whether TLS clients may (optional: or use a password) or must present a certificate'),
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
type GatewayListenersConfig = Pick<GatewayConfig, (typeof TLS_FILES)[number] | 'GANZHI_MQTT_CLIENT_CERT' | 'GANZHI_MQTT_PLAIN'>;

export const loadGatewayConfig = (env: Env) => loadConfig(GatewayConfigSchema.superRefine(checkListeners), env);

/** The gateway running alone (distributed mode): its own settings and the shared runtime ones. */
export const GatewayServiceConfigSchema = GatewayConfigSchema.extend(RuntimeConfigSchema.shape).superRefine((c, ctx) => {
  checkRuntime(c, ctx);
  checkListeners(c, ctx);
});
