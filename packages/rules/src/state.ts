import { z } from 'zod';
import { DeviceKindSchema, IdSchema } from '@ganzhi/schemas';
import type { DeviceKind } from '@ganzhi/schemas';

/**
 * Rule state: plain JSON (numbers, arrays, records; -1 stands for "none", never NaN), bounded in
 * size, so the rules service can keep it in a state log and restore it after a restart.
 *
 * Slots are keyed by rule id. Level numbers are severities: 0 none, 1 blue, 2 yellow, 3 orange, 4 red.
 */

/** Bounds that keep state small whatever the report rate. */
export const LIMITS = {
  /** Rate windows are kept as this many time buckets (min or max per bucket). */
  rateBuckets: 60,
  /** Hourly buckets per pollutant for the 2012 moving means (24 h). */
  aqiHours: 24,
  /** Devices remembered per composite term (site scope). */
  termDevices: 256,
} as const;

/** Graded rules (threshold, rate, aqi): raised level, per-grade streaks, de-escalation streak. */
export interface GradeSlot {
  lv: number;
  /** Per grade (blue..red): timestamp the current streak at/over the threshold began, or -1. */
  s: number[];
  /** Per grade: readings in that streak (saturates). */
  n: number[];
  /** De-escalation streak: start timestamp (-1 none) and readings. */
  cs: number;
  cn: number;
  /** Suppressed until this timestamp (-1 none). */
  su: number;
  /** Rate rules: a ring of time buckets, flat [bucket index, extreme value, ...] (-1 unused). */
  w?: number[];
  /** AQI rules (2012 moving means): per pollutant flat [hour index, sum, count, ...], oldest first. */
  h?: number[][];
}

export interface AbsenceSlot {
  lv: number;
}

export interface CompositeSlot {
  /**
   * Per term: last timestamp it was observed true (any device; -1 never), or, for `latest` terms
   * and the attributed term, deviceId -> timestamp of that device's observation that holds.
   */
  t: (number | Record<string, number>)[];
  /** Devices the rule is currently raised on, with their kind (for the clear signal). */
  r: Record<string, DeviceKind>;
}

export type RuleSlot = GradeSlot | AbsenceSlot | CompositeSlot;

export interface DeviceRuleState {
  v: 1;
  /** Fingerprint of the rules this state was made with; a change triggers a reconciliation. */
  fp: string;
  /** Latest evaluated reading timestamp (-1 none) and its sourceId: late or repeated readings are skipped. */
  ts: number;
  src: string;
  /** Latest receivedAt (absence), or the first tick's time for a device never heard; -1 none. */
  seen: number;
  r: Record<string, RuleSlot>;
}

export interface SiteRuleState {
  v: 1;
  fp: string;
  r: Record<string, CompositeSlot>;
}

const Num = z.number().finite();
const Level = z.number().int().min(0).max(4);
const bounded = <T extends z.ZodType>(schema: T, max: number) =>
  z.record(IdSchema, schema).refine((o) => Object.keys(o).length <= max, `more than ${max} entries`);

const GradeSlotSchema = z.object({
  lv: Level,
  s: z.array(Num).length(4),
  n: z.array(z.number().int().nonnegative()).length(4),
  cs: Num,
  cn: z.number().int().nonnegative(),
  su: Num,
  w: z.array(Num).max(2 * (LIMITS.rateBuckets + 1)).optional(),
  h: z.array(z.array(Num).max(3 * (LIMITS.aqiHours + 1))).max(4).optional(),
});
const CompositeSlotSchema = z.object({
  t: z.array(z.union([Num, bounded(Num, LIMITS.termDevices)])).max(8),
  r: bounded(DeviceKindSchema, LIMITS.termDevices),
});
const AbsenceSlotSchema = z.object({ lv: Level });

/** Validates a restored device state (the engine also re-checks each slot's shape before use). */
export const DeviceRuleStateSchema = z.object({
  v: z.literal(1),
  fp: z.string().max(64),
  ts: Num,
  src: z.string().max(256),
  seen: Num,
  r: bounded(z.union([GradeSlotSchema, CompositeSlotSchema, AbsenceSlotSchema]), 1000),
});

export const SiteRuleStateSchema = z.object({
  v: z.literal(1),
  fp: z.string().max(64),
  r: bounded(CompositeSlotSchema, 1000),
});

export function newDeviceState(fp: string): DeviceRuleState {
  return { v: 1, fp, ts: -1, src: '', seen: -1, r: {} };
}

export function newSiteState(fp: string): SiteRuleState {
  return { v: 1, fp, r: {} };
}

export function newGradeSlot(): GradeSlot {
  return { lv: 0, s: [-1, -1, -1, -1], n: [0, 0, 0, 0], cs: -1, cn: 0, su: -1 };
}

/** A slot restored from JSON may belong to an older version of the rule: check before use. */
export function isGradeSlot(x: RuleSlot | undefined): x is GradeSlot {
  return x !== undefined && (x as GradeSlot).s !== undefined && (x as GradeSlot).n !== undefined;
}

export function isCompositeSlot(x: RuleSlot | undefined, terms: number): x is CompositeSlot {
  return x !== undefined && Array.isArray((x as CompositeSlot).t) && (x as CompositeSlot).t.length === terms && (x as CompositeSlot).r !== undefined;
}
