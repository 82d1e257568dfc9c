import { z } from 'zod';
import { ActorSchema, IdSchema, LevelSchema } from '@ganzhi/schemas';

const MINUTE = 60_000;

/** Milliseconds; 0 switches the feature off. */
const DelayMsSchema = z.number().int().nonnegative();

/**
 * Escalation: an alert still `open` (nobody acknowledged or dispatched it) is re-notified after its
 * grade's delay, then again every delay, at most `max` times.
 */
export const EscalationConfigSchema = z.object({
  /** Per grade: how long an alert may stay unacknowledged before (each) re-notification. 0 = never. */
  afterMs: z
    .object({
      red: DelayMsSchema.default(5 * MINUTE),
      orange: DelayMsSchema.default(15 * MINUTE),
      yellow: DelayMsSchema.default(60 * MINUTE),
      blue: DelayMsSchema.default(0),
    })
    .prefault({}),
  /** Escalations per unacknowledged stretch (the count restarts when a resolved alert reopens). */
  max: z.number().int().nonnegative().max(1000).default(3),
  /** Keep escalating an unacknowledged alert whose condition has cleared by itself. */
  whileCleared: z.boolean().default(false),
});

/** Auto-close: a resolved alert whose condition has cleared closes by itself after `afterMs`. */
export const AutoCloseConfigSchema = z.object({
  enabled: z.boolean().default(false),
  /** Grace period: a raise within it reopens the alert instead of opening a new one. 0 = at once. */
  afterMs: DelayMsSchema.default(0),
});

/** Inhibition: an active offline alert of a device suppresses the notification of its value alerts. */
export const InhibitionConfigSchema = z.object({
  enabled: z.boolean().default(true),
  /** Rules whose alerts count as offline when the signal carries no `category`. */
  offlineRuleIds: z.array(IdSchema).default([]),
  /** Grades never inhibited (e.g. ['red'] to keep paging a flood alert of a gauge that went dark). */
  exceptLevels: z.array(LevelSchema).default([]),
});

export const AlertsConfigSchema = z.object({
  escalation: EscalationConfigSchema.prefault({}),
  autoClose: AutoCloseConfigSchema.prefault({}),
  inhibition: InhibitionConfigSchema.prefault({}),
  /**
   * How many recent signal/command ids each device remembers to drop re-deliveries. Must cover
   * the most records of one device that the bus can re-deliver at once (one batch).
   */
  dedupMemory: z.number().int().min(1).max(4096).default(64),
  /** Actor of signal-driven transitions. */
  rulesActor: ActorSchema.default('system:rules'),
  /** Actor of time-driven transitions (escalation, auto-close). */
  systemActor: ActorSchema.default('system:alerts'),
});
export type AlertsConfig = z.infer<typeof AlertsConfigSchema>;
export type AlertsConfigInput = z.input<typeof AlertsConfigSchema>;
