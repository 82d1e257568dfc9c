import type { Device } from '@ganzhi/registry';
import type { Grades, ThresholdRef } from './schema';
import type { GradeSlot } from './state';

/**
 * The grading core shared by threshold, rate and aqi rules: four ordered grades, hysteresis,
 * hold time and count in a row for raising, debounce for de-escalation. Pure and allocation-free.
 *
 * - A grade g is "full" when the value is at/over its threshold. Grades above the current level
 *   are reached once full for `holdMs` (reading timestamps) and `count` readings in a row.
 * - Grades at or below the current level are kept while the value stays within the hysteresis:
 *   the explicit clear threshold of that grade, or the threshold moved back by `band`.
 * - The target is the highest grade reached or kept. Upward moves are immediate (once held);
 *   downward moves (downgrade or clear) wait `clearHoldMs` and `clearCount`.
 */

/** Threshold of one grade for one device, or undefined when the device does not get the grade. */
export type Resolver = (device: Device) => number | undefined;

export function resolver(ref: ThresholdRef | undefined): Resolver | undefined {
  if (ref === undefined) return undefined;
  if (typeof ref === 'number') return () => ref;
  const { attr, offset, default: fallback } = ref;
  return (device) => {
    const a = device.attributes[attr];
    if (typeof a === 'number') return a + offset;
    return fallback === undefined ? undefined : fallback + offset;
  };
}

export interface GradeSpec {
  /** true: higher values are worse (above / rise); false: lower values are worse (below). */
  readonly above: boolean;
  readonly inclusive: boolean;
  readonly t: readonly (Resolver | undefined)[];
  readonly c: readonly (Resolver | undefined)[];
  readonly band: number;
  readonly holdMs: number;
  readonly count: number;
  readonly clearHoldMs: number;
  readonly clearCount: number;
}

const GRADES = ['blue', 'yellow', 'orange', 'red'] as const;

export function gradeSpec(
  o: { thresholds: Grades; clearThresholds?: Grades | undefined; clearBand?: number | undefined; holdSec: number; count: number; clearHoldSec: number; clearCount: number },
  above: boolean,
  inclusive = true,
): GradeSpec {
  return {
    above,
    inclusive,
    t: GRADES.map((g) => resolver(o.thresholds[g])),
    c: GRADES.map((g) => resolver(o.clearThresholds?.[g])),
    band: o.clearBand ?? 0,
    holdMs: o.holdSec * 1000,
    count: o.count,
    clearHoldMs: o.clearHoldSec * 1000,
    clearCount: o.clearCount,
  };
}

function meets(spec: GradeSpec, v: number, th: number): boolean {
  if (spec.above) return spec.inclusive ? v >= th : v > th;
  return spec.inclusive ? v <= th : v < th;
}

/**
 * Feeds value `v` at `ts` into `slot`. Returns the new level (0 = clear, 1 blue .. 4 red) when it
 * changes, or -1. `thOut[g]` receives grade g's threshold (1..4) for the message of the signal.
 */
export function step(spec: GradeSpec, slot: GradeSlot, device: Device, v: number, ts: number, thOut: Float64Array): number {
  const cur = slot.lv;
  let up = 0;
  let keep = 0;
  for (let g = 1; g <= 4; g++) {
    const i = g - 1;
    const r = spec.t[i];
    const th = r === undefined ? undefined : r(device);
    if (th === undefined) {
      slot.s[i] = -1;
      slot.n[i] = 0;
      continue;
    }
    thOut[g] = th;
    if (meets(spec, v, th)) {
      if (slot.n[i] === 0) slot.s[i] = ts;
      if (slot.n[i]! < spec.count) slot.n[i]!++;
      if (g > cur && ts - slot.s[i]! >= spec.holdMs && slot.n[i]! >= spec.count) up = g;
    } else {
      slot.s[i] = -1;
      slot.n[i] = 0;
    }
    if (g <= cur) {
      const cr = spec.c[i];
      const ct = cr === undefined ? undefined : cr(device);
      const clearAt = ct !== undefined ? ct : spec.above ? th - spec.band : th + spec.band;
      if (meets(spec, v, clearAt)) keep = g;
    }
  }
  const target = up > keep ? up : keep;
  if (target >= cur) {
    slot.cs = -1;
    slot.cn = 0;
    if (target === cur) return -1;
    slot.lv = target;
    return target;
  }
  if (spec.clearHoldMs > 0 || spec.clearCount > 1) {
    if (slot.cn === 0) slot.cs = ts;
    if (slot.cn < spec.clearCount) slot.cn++;
    if (ts - slot.cs < spec.clearHoldMs || slot.cn < spec.clearCount) return -1;
  }
  slot.cs = -1;
  slot.cn = 0;
  slot.lv = target;
  return target;
}

/** Forget raise streaks (after a suppressed or skipped stretch), keeping the raised level. */
export function resetStreaks(slot: GradeSlot): void {
  for (let i = 0; i < 4; i++) {
    slot.s[i] = -1;
    slot.n[i] = 0;
  }
  slot.cs = -1;
  slot.cn = 0;
}
