import { z } from 'zod';
import { DeviceKindSchema, EpochMsSchema, IdSchema } from './ids';
import { LevelSchema } from './levels';

/** Workflow state of an alert (DESIGN: open -> acknowledged -> dispatched -> resolved -> closed). */
export const AlertStatusSchema = z.enum(['open', 'acknowledged', 'dispatched', 'resolved', 'closed']);
export type AlertStatus = z.infer<typeof AlertStatusSchema>;

/** Whether the underlying condition still holds, tracked beside the workflow state. */
export const ConditionSchema = z.enum(['active', 'cleared']);
export type Condition = z.infer<typeof ConditionSchema>;

export const AlertEventTypeSchema = z.enum([
  'raised',
  'upgraded',
  'downgraded',
  'cleared',
  'reactivated',
  'acknowledged',
  'dispatched',
  'resolved',
  'closed',
  'escalated',
]);
export type AlertEventType = z.infer<typeof AlertEventTypeSchema>;

/** Absence (offline) alerts inhibit value alerts of the same device. */
export const AlertCategorySchema = z.enum(['offline', 'value']);
export type AlertCategory = z.infer<typeof AlertCategorySchema>;

/** A lowercase hex sha256 digest. */
export const HashSchema = z.string().regex(/^[0-9a-f]{64}$/);

/** Who did it: an authenticated operator id, or `system:<stage>` for automatic transitions. */
export const ActorSchema = z.string().min(1).max(128);

/**
 * `ganzhi.alerts.v1`: one state change of one alert, carrying the alert's full state after it.
 * (alertId, seq) identifies the change; re-delivery of the same change is idempotent downstream.
 */
export const AlertChangeSchema = z.object({
  alertId: z.string().min(1).max(200),
  seq: z.number().int().positive(),
  deviceId: IdSchema,
  kind: DeviceKindSchema,
  site: z.string().max(64).optional(),
  ruleId: IdSchema,
  level: LevelSchema,
  status: AlertStatusSchema,
  condition: ConditionSchema,
  value: z.number().finite().optional(),
  threshold: z.number().finite().optional(),
  message: z.string().max(512).optional(),
  assignee: z.string().max(128).optional(),
  openedAt: EpochMsSchema,
  event: z.object({
    type: AlertEventTypeSchema,
    actor: ActorSchema,
    at: EpochMsSchema,
    reason: z.string().max(1024).optional(),
    fromLevel: LevelSchema.optional(),
  }),
  // --- lifecycle fields (packages/alerts); optional so that older records still parse ---
  /** `offline` for absence alerts, `value` for the rest; an active offline alert inhibits its device's value alerts. */
  category: AlertCategorySchema.optional(),
  /** How many times the alert was re-notified for lack of acknowledgement since it (re)opened. */
  escalations: z.number().int().nonnegative().optional(),
  /** false: recorded but not to be paged (silenced or inhibited). Absent means true. */
  notify: z.boolean().optional(),
  /** Ids of the silences (maintenance windows) that matched this change. */
  silencedBy: z.array(z.string().min(1).max(128)).max(32).optional(),
  /** Id of the device's active offline alert that inhibits this (value) alert. */
  inhibitedBy: z.string().min(1).max(200).optional(),
  /** Position in the device's audit chain (every change of every alert of the device), from 1. */
  deviceSeq: z.number().int().positive().optional(),
  /** Hash of the previous change of this alert (absent on seq 1). */
  prevHash: HashSchema.optional(),
  /** Hash of the previous change of this device, any alert (absent on deviceSeq 1). */
  devicePrevHash: HashSchema.optional(),
  /** Id of the audit key `hash` was made with (HMAC-SHA256); absent: an unkeyed sha256 (older records, tests). */
  keyId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
  /** HMAC-SHA256 (with key `keyId`), else sha256, hex, of the canonical JSON of this change without `hash` (packages/alerts chain.ts). */
  hash: HashSchema.optional(),
});
export type AlertChange = z.infer<typeof AlertChangeSchema>;

/**
 * Alert ids embed the device id so that a command naming only the alert can be keyed (and so
 * partitioned) by device, like every other record about that device.
 */
export function makeAlertId(deviceId: string, ruleId: string, openedAt: number): string {
  return `${deviceId}:${ruleId}:${openedAt.toString(36)}`;
}

export function deviceIdOfAlert(alertId: string): string | undefined {
  const i = alertId.indexOf(':');
  return i > 0 ? alertId.slice(0, i) : undefined;
}

/**
 * An alert change flattened into the columns a store keeps beside the change JSON (for SQL by
 * operators). Audit verification recomputes them from the signed change and compares every one.
 */
export interface AlertColumns {
  alertId: string;
  seq: number;
  deviceId: string;
  kind: string;
  site: string | null;
  ruleId: string;
  level: string;
  status: string;
  condition: string;
  eventType: string;
  actor: string;
  eventAt: number;
  reason: string | null;
  fromLevel: string | null;
  value: number | null;
  threshold: number | null;
  message: string | null;
  assignee: string | null;
  openedAt: number;
}

export function alertColumns(c: AlertChange): AlertColumns {
  return {
    alertId: c.alertId,
    seq: c.seq,
    deviceId: c.deviceId,
    kind: c.kind,
    site: c.site ?? null,
    ruleId: c.ruleId,
    level: c.level,
    status: c.status,
    condition: c.condition,
    eventType: c.event.type,
    actor: c.event.actor,
    eventAt: c.event.at,
    reason: c.event.reason ?? null,
    fromLevel: c.event.fromLevel ?? null,
    value: c.value ?? null,
    threshold: c.threshold ?? null,
    message: c.message ?? null,
    assignee: c.assignee ?? null,
    openedAt: c.openedAt,
  };
}

/** A stored alert event: the change JSON as stored, and the flattened columns as stored. */
export interface StoredAlertEvent {
  change: AlertChange;
  columns: AlertColumns;
}
