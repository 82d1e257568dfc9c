import { z } from 'zod';
import { AlertChangeSchema, AlertStatusSchema } from './alert';
import { CommandResultSchema } from './command';
import { DeadLetterSchema } from './deadletter';
import { DeviceKindSchema, EpochMsSchema, IdSchema } from './ids';
import { LevelSchema } from './levels';
import { SilenceSchema } from './silence';

/**
 * The operators' HTTP API, route by route: what each accepts (query, params, body) and answers.
 * The API validates and serialises with these (fastify + zod type provider), publishes them as
 * OpenAPI, and the console derives its types from them.
 */

/** A time given as epoch milliseconds or ISO 8601 (`2026-11-21T08:00:00Z`, `2026-11-21T16:00+08:00`, `2026-11-21`). */
export const TimeInputSchema = z
  .union([EpochMsSchema, z.string().regex(/^\d{1,16}$/), z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((v) => (typeof v === 'number' ? v : /^\d+$/.test(v) ? Number(v) : Date.parse(v)))
  .describe('epoch milliseconds or an ISO 8601 date-time (with Z or an offset) or date');

const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');
const limitParam = (max: number) => z.coerce.number().int().positive().max(max);

export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** The request fields that failed validation (400). */
    fields: z.array(z.string()).optional(),
  }),
});

// --- session ---
export const LoginBodySchema = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });
export const SessionSchema = z.object({
  operator: z.object({ id: z.string(), name: z.string().optional(), roles: z.array(z.string()), team: z.string().optional() }),
  /** Every action the API names (see `API_ACTIONS`) that this operator's role allows. */
  allowed: z.array(z.string()),
  expiresAt: EpochMsSchema.optional(),
  /** The bearer token (also set as the HttpOnly cookie `ganzhi_session`); only on login. */
  token: z.string().optional(),
});
export const ConsoleConfigSchema = z.object({
  /** Where the browser reaches MQTT over WebSocket: a port on the console's own host, or a full URL. */
  mqtt: z.object({ port: z.number().int().optional(), url: z.string().optional() }),
  demo: z.boolean(),
});

// --- readings ---
export const LatestQuerySchema = z.object({ deviceId: IdSchema.optional(), kind: DeviceKindSchema.optional(), metric: z.string().min(1).max(64).optional() });
export const ReadingRowSchema = z.object({
  deviceId: z.string(),
  kind: DeviceKindSchema,
  site: z.string().nullable(),
  metric: z.string(),
  ts: EpochMsSchema,
  value: z.number(),
  unit: z.string(),
  quality: z.string(),
});
export const RangeQuerySchema = z.object({
  deviceId: IdSchema,
  metric: z.string().min(1).max(64),
  from: TimeInputSchema.optional(),
  to: TimeInputSchema.optional(),
  bucketMs: limitParam(366 * 86_400_000).optional(),
});
export const BucketSchema = z.object({ ts: EpochMsSchema, avg: z.number(), min: z.number(), max: z.number(), last: z.number(), count: z.number() });

// --- alerts ---
export const AlertsQuerySchema = z.object({
  deviceId: IdSchema.optional(),
  status: AlertStatusSchema.optional(),
  level: LevelSchema.optional(),
  kind: DeviceKindSchema.optional(),
  site: z.string().min(1).max(64).optional(),
  open: boolParam.optional(),
  from: TimeInputSchema.optional(),
  to: TimeInputSchema.optional(),
  limit: limitParam(100_000).optional(),
});
export const AlertIdParamsSchema = z.object({ alertId: z.string().min(1).max(200) });
export const AlertActionBodySchemas = {
  acknowledge: z.object({ note: z.string().max(1024).optional(), requestId: z.string().max(128).optional() }),
  dispatch: z.object({ assignee: z.string().min(1).max(128), note: z.string().max(1024).optional(), requestId: z.string().max(128).optional() }),
  resolve: z.object({ note: z.string().min(1).max(1024), requestId: z.string().max(128).optional() }),
  close: z.object({ note: z.string().max(1024).optional(), requestId: z.string().max(128).optional() }),
} as const;
export const CommandVerdictSchema = z.object({
  result: CommandResultSchema,
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

// --- silences ---
export const SilencesQuerySchema = z.object({ all: boolParam.optional() });
export const SilenceBodySchema = z
  .object({
    match: z.object({
      deviceId: IdSchema.optional(),
      kind: DeviceKindSchema.optional(),
      site: z.string().min(1).max(64).optional(),
      ruleId: IdSchema.optional(),
    }),
    startsAt: TimeInputSchema.optional(),
    endsAt: TimeInputSchema.optional(),
    durationMinutes: z.number().positive().max(366 * 24 * 60).optional(),
    comment: z.string().max(1024).optional(),
  })
  .refine((b) => b.endsAt !== undefined || b.durationMinutes !== undefined, { message: 'endsAt or durationMinutes is required', path: ['endsAt'] });
export const SilenceIdParamsSchema = z.object({ id: z.string().min(1).max(128) });

// --- devices ---
export const ConnectionSchema = z.object({
  state: z.enum(['connected', 'disconnected', 'unknown']),
  /** When the gateway last saw the device connect or disconnect (or the device said so on its status topic). */
  since: EpochMsSchema.nullable(),
  /** Time of the newest stored value of the device. */
  lastMessageAt: EpochMsSchema.nullable(),
});
export const DeviceSummarySchema = z.object({
  id: z.string(),
  kind: DeviceKindSchema,
  site: z.string().nullable(),
  name: z.string().nullable(),
  format: z.string(),
  reportIntervalSec: z.number(),
  attributes: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  connection: ConnectionSchema,
  latest: z.array(ReadingRowSchema),
  openAlerts: z.number().int(),
  /** Highest grade among the open alerts. */
  topLevel: LevelSchema.nullable(),
});
export const DevicesQuerySchema = z.object({ kind: DeviceKindSchema.optional(), site: z.string().min(1).max(64).optional(), online: boolParam.optional() });
export const DeviceParamsSchema = z.object({ id: IdSchema });
/** A threshold band to draw on a device's chart: a rule's level for a metric, resolved for this device. */
export const ThresholdBandSchema = z.object({ ruleId: z.string(), metric: z.string(), level: LevelSchema, value: z.number(), direction: z.enum(['above', 'below']) });
export const DeviceDetailSchema = DeviceSummarySchema.extend({
  alerts: z.array(AlertChangeSchema),
  thresholds: z.array(ThresholdBandSchema),
  /** The metric each single-metric rule of the device watches (rule id -> metric): what an alert's chart shows. */
  ruleMetrics: z.record(z.string(), z.string()),
});

// --- dead letters ---
export const DeadLettersQuerySchema = z.object({
  deviceId: z.string().min(1).max(64).optional(),
  stage: z.string().min(1).max(64).optional(),
  code: z.string().regex(/^GANZHI_ERR_[A-Z0-9_]+$/).optional(),
  from: TimeInputSchema.optional(),
  limit: limitParam(1000).optional(),
});
export const DeadLettersSchema = z.object({ deadLetters: z.array(DeadLetterSchema), kept: z.number().int() });

// --- overview ---
export const OverviewSchema = z.object({
  at: EpochMsSchema,
  openAlerts: z.object({
    total: z.number().int(),
    byLevel: z.record(z.string(), z.number().int()),
    byKind: z.record(z.string(), z.number().int()),
    bySite: z.record(z.string(), z.number().int()),
  }),
  /** Alerts raised per hour over the last 24 h, oldest first (`hour` = start of the hour). */
  raisedPerHour: z.array(z.object({ hour: EpochMsSchema, count: z.number().int() })),
  ingest: z.object({
    /** Stored reading rows per second over the last sampling window (null until two samples). */
    readingsPerSec: z.number().nullable(),
    /** MQTT messages accepted per second by the gateway of this process (embedded mode only). */
    messagesPerSec: z.number().nullable(),
    storedReadings: z.number().int(),
  }),
  devices: z.object({ registered: z.number().int(), connected: z.number().int() }),
});

// --- notifications (the notifier's outbox, per alert) ---
/** One try to deliver a notification. `error` is a status or an error code, never a URL or a secret. */
export const NotificationAttemptSchema = z.object({
  at: EpochMsSchema,
  ok: z.boolean(),
  durationMs: z.number(),
  error: z.string().optional(),
  /** Whether another try follows this failed one. */
  retry: z.boolean().optional(),
});
/** A notification of an alert to one receiver, with its delivery attempts (the most recent ones). */
export const NotificationRecordSchema = z.object({
  id: z.string(),
  receiver: z.string(),
  receiverType: z.string(),
  route: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attemptCount: z.number().int(),
  attempts: z.array(NotificationAttemptSchema),
  createdAt: EpochMsSchema,
  /** When the next try is due (pending only). */
  nextAt: EpochMsSchema.optional(),
  doneAt: EpochMsSchema.optional(),
  /** The changes of this alert the notification carries (`<alertId>#<seq>`). */
  changes: z.array(z.string()),
  /** Every alert in the notification (several when grouped). */
  alerts: z.array(z.string()),
});
export const NotificationListSchema = z.object({ alertId: z.string(), notifications: z.array(NotificationRecordSchema) });

export const SilenceListSchema = z.object({ silences: z.array(SilenceSchema) });
export const AlertListSchema = z.object({ alerts: z.array(AlertChangeSchema) });
export const AlertDetailSchema = z.object({ alert: AlertChangeSchema, events: z.array(AlertChangeSchema) });

export type DeviceSummary = z.infer<typeof DeviceSummarySchema>;
export type DeviceDetail = z.infer<typeof DeviceDetailSchema>;
export type Overview = z.infer<typeof OverviewSchema>;
export type Session = z.infer<typeof SessionSchema>;
export type ThresholdBand = z.infer<typeof ThresholdBandSchema>;
export type ReadingRowOut = z.infer<typeof ReadingRowSchema>;
export type Bucket = z.infer<typeof BucketSchema>;
export type NotificationRecordOut = z.infer<typeof NotificationRecordSchema>;
