import type { Quality, Reading, Signal } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import { compileFilter, compileSuppress, fmt, makeSignal, own, suppressed } from './common';
import type { DeviceRule, SuppressSpec } from './common';
import { gradeSpec, resetStreaks, step } from './grade';
import type { GradeSpec } from './grade';
import type { RateRule, ThresholdRule } from './schema';
import { LIMITS, isGradeSlot, newGradeSlot } from './state';
import type { DeviceRuleState, GradeSlot } from './state';

/** The slot of a graded rule, made fresh when missing or of another shape. */
export function gradeSlot(st: DeviceRuleState, id: string): GradeSlot {
  const s = st.r[id];
  if (isGradeSlot(s)) return s;
  const fresh = newGradeSlot();
  st.r[id] = fresh;
  return fresh;
}

/** Feeds one value through the grading core and emits a signal when the level changes. */
export function gradeAndEmit(
  spec: GradeSpec,
  slot: GradeSlot,
  th: Float64Array,
  r: Reading,
  d: Device,
  id: string,
  metric: string,
  v: number,
  out: Signal[],
  describe: (v: number, th: number, lv: number) => string,
): void {
  const lv = step(spec, slot, d, v, r.ts, th);
  if (lv < 0) return;
  const threshold = lv > 0 ? th[lv]! : undefined;
  out.push(makeSignal(r.deviceId, r.kind, r.site ?? d.site, id, 'value', lv, r.ts, r.sourceId, metric, v, threshold, describe(v, threshold ?? NaN, lv)));
}

function skip(spec: SuppressSpec | undefined, r: Reading, slot: GradeSlot): boolean {
  if (spec === undefined || !suppressed(spec, r, slot)) return false;
  resetStreaks(slot);
  return true;
}

/** `threshold`: one metric (or metric minus metric, or its absolute value) against four grades. */
export function compileThreshold(rule: ThresholdRule): DeviceRule {
  const spec = gradeSpec(rule, rule.direction === 'above', rule.inclusive);
  const quality: ReadonlySet<Quality> = new Set(rule.quality);
  const sup = compileSuppress(rule.suppress);
  const th = new Float64Array(5);
  const { id, metric, minus, abs, title } = rule;
  const what = minus === undefined ? metric : `${metric} - ${minus}`;
  const name = abs ? `|${what}|` : what;
  const op = rule.direction === 'above' ? (rule.inclusive ? '>=' : '>') : rule.inclusive ? '<=' : '<';
  const describe = (v: number, t: number, lv: number): string =>
    lv > 0 ? `${title}: ${name} ${fmt(v)} ${op} ${fmt(t)}` : `${title}: ${name} ${fmt(v)} back to normal`;
  return {
    id,
    applies: compileFilter(rule.filter),
    evaluate(r, d, st, out) {
      const m = own(r.metrics, metric);
      if (m === undefined || !quality.has(m.quality)) return;
      let v = m.value;
      if (minus !== undefined) {
        const m2 = own(r.metrics, minus);
        if (m2 === undefined || !quality.has(m2.quality)) return;
        v -= m2.value;
      }
      if (abs) v = Math.abs(v);
      const slot = gradeSlot(st, id);
      if (skip(sup, r, slot)) return;
      gradeAndEmit(spec, slot, th, r, d, id, metric, v, out, describe);
    },
  };
}

/**
 * `rate`: the change of a metric within a window: rise = now minus the lowest value in the window,
 * fall = the highest minus now. The window is kept as a ring of LIMITS.rateBuckets + 1 time buckets
 * (flat [bucket index, extreme, ...], -1 unused) holding the extreme of each, so the state has a fixed
 * size at any report rate (the window edge is exact to one bucket).
 */
export function compileRate(rule: RateRule): DeviceRule {
  const spec = gradeSpec(rule, true);
  const quality: ReadonlySet<Quality> = new Set(rule.quality);
  const sup = compileSuppress(rule.suppress);
  const th = new Float64Array(5);
  const { id, metric, title } = rule;
  const rise = rule.direction === 'rise';
  const windowMs = rule.windowSec * 1000;
  const bucketMs = windowMs / LIMITS.rateBuckets;
  const verb = rise ? 'rose' : 'fell';
  const RING = LIMITS.rateBuckets + 1;
  const describe = (v: number, t: number, lv: number): string =>
    lv > 0 ? `${title}: ${metric} ${verb} ${fmt(v)} within ${rule.windowSec} s (>= ${fmt(t)})` : `${title}: ${metric} ${verb} ${fmt(v)} within ${rule.windowSec} s, back to normal`;
  return {
    id,
    applies: compileFilter(rule.filter),
    evaluate(r, d, st, out) {
      const m = own(r.metrics, metric);
      if (m === undefined || !quality.has(m.quality)) return;
      const v = m.value;
      const slot = gradeSlot(st, id);
      let w = slot.w;
      if (w === undefined || w.length !== RING * 2) w = slot.w = Array.from({ length: RING * 2 }, () => -1);
      const b = Math.floor(r.ts / bucketMs);
      const j = (b % RING) * 2;
      if (w[j] !== b) {
        w[j] = b;
        w[j + 1] = v;
      } else if (rise ? v < w[j + 1]! : v > w[j + 1]!) {
        w[j + 1] = v;
      }
      const first = b - LIMITS.rateBuckets;
      let extreme = v;
      for (let k = 0; k < w.length; k += 2) {
        const bk = w[k]!;
        if (bk < first || bk > b) continue;
        const x = w[k + 1]!;
        if (rise ? x < extreme : x > extreme) extreme = x;
      }
      if (skip(sup, r, slot)) return;
      gradeAndEmit(spec, slot, th, r, d, id, metric, rise ? v - extreme : extreme - v, out, describe);
    },
  };
}
