import { accessSync, constants, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { envInt, envOptionalString, envPort, envString } from '@ganzhi/config';
import { RuntimeConfigSchema, checkRuntime } from '@ganzhi/runtime';

/** A file that must exist and be readable at start-up (the error names the variable). */
const readableFile = () =>
  z
    .string()
    .min(1)
    .refine(
      (path) => {
        try {
          accessSync(path, constants.R_OK);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'file is missing or not readable' },
    )
    .optional();

/**
 * The HTTP API's own settings, shared by the API alone (distributed mode) and the all-in-one
 * process (`npm start`): HTTPS, browser sessions, where the console finds MQTT over WebSocket.
 */
export const ApiHttpConfigShape = {
  GANZHI_HTTP_TLS_CERT_FILE: readableFile().describe('PEM certificate (chain) file: with GANZHI_HTTP_TLS_KEY_FILE the API and console are served over HTTPS'),
  GANZHI_HTTP_TLS_KEY_FILE: readableFile().describe('PEM private key file for GANZHI_HTTP_TLS_CERT_FILE'),
  GANZHI_HTTP_SESSION_SECRET: z
    .string()
    .min(32, 'at least 32 characters')
    .optional()
    .describe('key that signs browser session tokens (share it between API instances); default: random per process, so sessions end on restart'),
  GANZHI_HTTP_SESSION_TTL_MIN: envInt(720, 1, 7 * 24 * 60).describe('how long a console login (session cookie or bearer token) lasts, in minutes'),
  GANZHI_CONSOLE_MQTT_URL: envOptionalString().describe("MQTT-over-WebSocket URL the console's browsers connect to; default: the console's own host, port GANZHI_MQTT_WS_PORT"),
};

type TlsFields = { GANZHI_HTTP_TLS_CERT_FILE?: string | undefined; GANZHI_HTTP_TLS_KEY_FILE?: string | undefined };

/** Both TLS files or neither; call from a schema's superRefine. */
export function checkApiHttp(c: TlsFields, ctx: z.RefinementCtx): void {
  if (Boolean(c.GANZHI_HTTP_TLS_CERT_FILE) !== Boolean(c.GANZHI_HTTP_TLS_KEY_FILE)) {
    const missing = c.GANZHI_HTTP_TLS_CERT_FILE ? 'GANZHI_HTTP_TLS_KEY_FILE' : 'GANZHI_HTTP_TLS_CERT_FILE';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'HTTPS needs both GANZHI_HTTP_TLS_CERT_FILE and GANZHI_HTTP_TLS_KEY_FILE' });
  }
}

/** The certificate and key named by the config, read once at start-up (undefined: plain HTTP). */
export function readTls(c: TlsFields): { cert: Buffer; key: Buffer } | undefined {
  if (!c.GANZHI_HTTP_TLS_CERT_FILE || !c.GANZHI_HTTP_TLS_KEY_FILE) return undefined;
  return { cert: readFileSync(c.GANZHI_HTTP_TLS_CERT_FILE), key: readFileSync(c.GANZHI_HTTP_TLS_KEY_FILE) };
}

/** This service's configuration (distributed mode); documented in the README. */
export const ApiConfigSchema = RuntimeConfigSchema.extend({
  GANZHI_HTTP_HOST: envString('0.0.0.0').describe('address the HTTP API binds to'),
  GANZHI_HTTP_PORT: envPort(8080).describe("operators' HTTP API port"),
  GANZHI_SILENCE_MAX_MINUTES: envInt(7 * 24 * 60, 1, 366 * 24 * 60).describe('longest silence a supervisor may set (admins are not limited)'),
  GANZHI_MQTT_WS_PORT: envPort(8083).describe('MQTT over WebSocket port of the gateways (shown to the console)'),
  GANZHI_RULES_DIR: envOptionalString().describe('rule files, for the threshold bands of device charts'),
  GANZHI_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).default(hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64) || 'api'),
  ...ApiHttpConfigShape,
}).superRefine((c, ctx) => {
  checkRuntime(c, ctx);
  checkApiHttp(c, ctx);
});
export type ApiHttpConfig = { [K in keyof typeof ApiHttpConfigShape]: z.infer<(typeof ApiHttpConfigShape)[K]> };
