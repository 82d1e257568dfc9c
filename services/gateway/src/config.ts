import { accessSync, constants } from 'node:fs';
import { z } from 'zod';
import { envBool, envInt, envOptionalString, envPort, envString, loadConfig, type Env } from '@ganzhi/config';
import { RuntimeConfigSchema, checkRuntime } from '@ganzhi/runtime';

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
  GANZHI_GATEWAY_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .default('gw-1')
    .describe('this gateway instance (its own consumer group for operator alerts)'),
});
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;
type GatewayListenersConfig = Pick<GatewayConfig, (typeof TLS_FILES)[number] | 'GANZHI_MQTT_CLIENT_CERT' | 'GANZHI_MQTT_PLAIN'>;

export const loadGatewayConfig = (env: Env) => loadConfig(GatewayConfigSchema.superRefine(checkListeners), env);

/** The gateway running alone (distributed mode): its own settings and the shared runtime ones. */
export const GatewayServiceConfigSchema = GatewayConfigSchema.extend(RuntimeConfigSchema.shape).superRefine((c, ctx) => {
  checkRuntime(c, ctx);
  checkListeners(c, ctx);
});
