import { hostname } from 'node:os';
import { z } from 'zod';
import { envInt, envOptionalString, envPort, envString } from '@ganzhi/config';
import { DEFAULT_NOTIFY_ROUTES_FILE, RuntimeConfigSchema, checkRuntime } from '@ganzhi/runtime';

/** The notifier's own variables (also read by the all-in-one process). */
export const NotifierSettingsSchema = z.object({
  GANZHI_NOTIFY_ROUTES_FILE: envString(DEFAULT_NOTIFY_ROUTES_FILE).describe('notification routing file (JSON): routes and receivers'),
  GANZHI_NOTIFY_TEMPLATES_DIR: envOptionalString().describe('directory of message template overrides (files KIND.PART.LANG.mustache)'),
  GANZHI_NOTIFY_SMTP_URL: envOptionalString().describe('SMTP server for e-mail receivers, e.g. smtps://user:pass@mail.example:465 (a secret)'),
  GANZHI_NOTIFY_SMTP_URL_FILE: envOptionalString().describe('file holding the SMTP server URL instead (a mounted secret; trailing newline ignored)'),
  GANZHI_NOTIFY_SMTP_FROM: envString('Ganzhi <ganzhi@localhost>').describe('From address of notification e-mails'),
  GANZHI_NOTIFY_TIMEOUT_MS: envInt(10_000, 100, 300_000).describe('how long one delivery attempt may take'),
  GANZHI_NOTIFY_RETRY_INITIAL_MS: envInt(2_000, 10, 3_600_000).describe('delay before the first retry of a failed delivery (doubling each time)'),
  GANZHI_NOTIFY_RETRY_MAX_MS: envInt(300_000, 10, 86_400_000).describe('longest delay between two retries'),
  GANZHI_NOTIFY_MAX_ATTEMPTS: envInt(30, 1, 1000).describe('attempts before a notification is given up (status failed)'),
  GANZHI_NOTIFY_RETENTION_HOURS: envInt(168, 1, 24 * 365).describe('how long delivered and failed notifications stay visible in the outbox'),
});
export type NotifierSettings = z.infer<typeof NotifierSettingsSchema>;

/** The notifier alone (distributed mode); documented in the README. */
export const NotifierConfigSchema = RuntimeConfigSchema.extend(NotifierSettingsSchema.shape)
  .extend({
    GANZHI_HTTP_PORT: envPort(0).describe('notifier alone: port of GET /api/alerts/{alertId}/notifications (0 = none)'),
    GANZHI_HTTP_HOST: envString('0.0.0.0'),
    GANZHI_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).default(hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64) || 'notifier'),
  })
  .superRefine(checkRuntime);
export type NotifierConfig = z.infer<typeof NotifierConfigSchema>;

/** The notifier's retry policy and retention from its settings. */
export function notifierOptions(s: NotifierSettings) {
  return {
    retry: { initialMs: s.GANZHI_NOTIFY_RETRY_INITIAL_MS, maxMs: s.GANZHI_NOTIFY_RETRY_MAX_MS, maxAttempts: s.GANZHI_NOTIFY_MAX_ATTEMPTS },
    retentionMs: s.GANZHI_NOTIFY_RETENTION_HOURS * 3_600_000,
  };
}
