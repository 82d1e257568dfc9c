import { z } from 'zod';
import { DeviceKindSchema, GanzhiError, IdSchema, LevelSchema, QualitySchema } from '@ganzhi/schemas';
import type { DeviceKind } from '@ganzhi/schemas';

/**
 * Rule files: data, not code. A file is `{ "description"?, "rules": [...] }`; every rule names the
 * device kind(s) it applies to, a `type` (threshold | rate | absence | aqi | composite), an `id`
 * (the alert key together with the device), a `title` and the `source` of its numbers.
 * See packages/rules/README.md for the format with examples.
 */

/** A threshold: a number, or a device attribute from the registry (plus an offset). */
export const ThresholdRefSchema = z.union([
  z.number(),
  z.strictObject({
    attr: z.string().min(1).max(64),
    offset: z.number().default(0),
    /** Used when the device lacks the attribute; without it such a device does not get the grade. */
    default: z.number().optional(),
  }),
]);
export type ThresholdRef = z.infer<typeof ThresholdRefSchema>;

const GRADE_KEYS = ['blue', 'yellow', 'orange', 'red'] as const;

export const GradesSchema = z
  .strictObject({
    blue: ThresholdRefSchema.optional(),
    yellow: ThresholdRefSchema.optional(),
    orange: ThresholdRefSchema.optional(),
    red: ThresholdRefSchema.optional(),
  })
  .refine((g) => GRADE_KEYS.some((k) => g[k] !== undefined), 'needs at least one of blue, yellow, orange, red');
export type Grades = z.infer<typeof GradesSchema>;

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/** Which devices a rule applies to, beyond its kind. Every given field must match. */
export const FilterSchema = z.strictObject({
  sites: z.array(z.string().min(1).max(64)).min(1).optional(),
  devices: z.array(IdSchema).min(1).optional(),
  /** Attribute name -> accepted value(s); a device without the attribute does not match. */
  attributes: z.record(z.string().min(1).max(64), z.union([Scalar, z.array(Scalar).min(1)])).optional(),
});
export type RuleFilter = z.infer<typeof FilterSchema>;

const Seconds = z.number().nonnegative().max(30 * 86_400);

const common = {
  id: IdSchema,
  title: z.string().min(1).max(200),
  /** Where the numbers come from (standard and clause, or "[P] practice" with a reason). */
  source: z.string().min(1).max(500),
  kind: z.union([DeviceKindSchema, z.array(DeviceKindSchema).min(1)]),
  filter: FilterSchema.optional(),
  enabled: z.boolean().default(true),
};

/** Raise/clear mechanics shared by threshold, rate and aqi rules. */
const grading = {
  /** Hysteresis: a raised grade holds while the value stays within `clearBand` of its threshold. */
  clearBand: z.number().nonnegative().optional(),
  /** Hysteresis with explicit per-grade clear thresholds (take precedence over clearBand). */
  clearThresholds: GradesSchema.optional(),
  /** Raise or upgrade only once the grade has held for this long (reading timestamps). */
  holdSec: Seconds.default(0),
  /** ...and for this many readings in a row. */
  count: z.number().int().min(1).max(1000).default(1),
  /** Downgrade or clear only once the lower grade has held this long / this many readings. */
  clearHoldSec: Seconds.default(0),
  clearCount: z.number().int().min(1).max(1000).default(1),
  /** Quality flags that count (domain README §1.6); readings with others are skipped. */
  quality: z.array(QualitySchema).min(1).default(['N', 'S', 'T']),
};

/** While the device reports this state (and `afterSec` after), the rule neither raises nor counts. */
export const SuppressSchema = z.strictObject({
  state: z.string().min(1).max(64),
  in: z.array(Scalar).min(1),
  afterSec: Seconds.default(0),
});

export const ThresholdRuleSchema = z.strictObject({
  ...common,
  ...grading,
  type: z.literal('threshold'),
  metric: z.string().min(1).max(64),
  /** Compare `metric - minus` (another metric of the same reading), e.g. supply air - setpoint. */
  minus: z.string().min(1).max(64).optional(),
  /** Compare the absolute value (deviation either way). */
  abs: z.boolean().default(false),
  direction: z.enum(['above', 'below']),
  /** `above`: value >= threshold (false: >); `below`: value <= threshold (false: <). */
  inclusive: z.boolean().default(true),
  thresholds: GradesSchema,
  suppress: SuppressSchema.optional(),
});

export const RateRuleSchema = z.strictObject({
  ...common,
  ...grading,
  type: z.literal('rate'),
  metric: z.string().min(1).max(64),
  /** rise: value now minus the lowest value in the window; fall: highest in the window minus now. */
  direction: z.enum(['rise', 'fall']),
  windowSec: z.number().positive().max(7 * 86_400),
  /** Thresholds on the change (positive numbers, metric units). */
  thresholds: GradesSchema,
  suppress: SuppressSchema.optional(),
});

export const AbsenceRuleSchema = z
  .strictObject({
    ...common,
    type: z.literal('absence'),
    /** Silent longer than reportIntervalSec x factor ... */
    factor: z.number().positive().max(1000).optional(),
    /** ... or longer than a fixed time. */
    afterSec: z.number().positive().max(30 * 86_400).optional(),
    level: LevelSchema.default('yellow'),
  })
  .refine((r) => !(r.factor !== undefined && r.afterSec !== undefined), 'give factor or afterSec, not both');

export const AQI_POLLUTANTS = ['so2', 'no2', 'co', 'o3', 'pm10', 'pm25'] as const;
export type AqiPollutant = (typeof AQI_POLLUTANTS)[number];

export const AqiRuleSchema = z.strictObject({
  ...common,
  ...grading,
  type: z.literal('aqi'),
  /** Thresholds on the AQI value, e.g. { yellow: 101, orange: 151, red: 201 }. */
  thresholds: GradesSchema,
  /** Metric name of each pollutant in the reading (µg/m³; CO in mg/m³). */
  metrics: z
    .strictObject(Object.fromEntries(AQI_POLLUTANTS.map((p) => [p, z.string().min(1).max(64).optional()])) as Record<AqiPollutant, z.ZodOptional<z.ZodString>>)
    .default({}),
  /** Breakpoint table: by the reading's date (China time), or pinned. */
  version: z.enum(['auto', 'HJ633-2012', 'HJ633-2026']).default('auto'),
  /**
   * Which HJ 633 report the rule rates: `hourly` (the real-time report, from readings with
   * `period: 'hour'`) or `daily` (the daily report, from readings with `period: 'day'`).
   */
  report: z.enum(['hourly', 'daily']).default('hourly'),
});

const TermCondSchema = z.union([
  z.strictObject({
    metric: z.string().min(1).max(64),
    op: z.enum(['gt', 'gte', 'lt', 'lte', 'eq', 'ne']),
    value: ThresholdRefSchema,
  }),
  z.strictObject({ state: z.string().min(1).max(64), in: z.array(Scalar).min(1) }),
]);

export const CompositeTermSchema = z.strictObject({
  /** Only readings of this device kind count for the term. */
  kind: DeviceKindSchema.optional(),
  /** All given alternatives are tried; the term holds if any holds. */
  any: z.array(TermCondSchema).min(1).max(8),
  /**
   * event: held if observed true at any time within the window (default for metrics);
   * latest: held while the device's latest observation is true (default for states).
   */
  mode: z.enum(['event', 'latest']).optional(),
  /** How old an observation may be to count (default: the rule's windowSec). */
  maxAgeSec: z.number().positive().max(7 * 86_400).optional(),
});

/** A term may be written as a single condition, e.g. `{ "metric": "smokeAlarm", "op": "gte", "value": 1 }`. */
const TermInputSchema = z.preprocess(
  (t) => (t !== null && typeof t === 'object' && !('any' in t) ? liftTerm(t as Record<string, unknown>) : t),
  CompositeTermSchema,
);

function liftTerm(t: Record<string, unknown>): Record<string, unknown> {
  const { kind, mode, maxAgeSec, ...cond } = t;
  const out: Record<string, unknown> = { any: [cond] };
  if (kind !== undefined) out.kind = kind;
  if (mode !== undefined) out.mode = mode;
  if (maxAgeSec !== undefined) out.maxAgeSec = maxAgeSec;
  return out;
}

export const CompositeRuleSchema = z
  .strictObject({
    ...common,
    type: z.literal('composite'),
    /** device: terms over one device's readings; site: over all devices of the same site. */
    scope: z.enum(['device', 'site']),
    windowSec: z.number().positive().max(7 * 86_400),
    level: LevelSchema,
    all: z.array(TermInputSchema).min(1).max(8),
    /**
     * Site scope: raise on each device that holds term `attributeTo` (e.g. every operating crane)
     * instead of on the device whose reading completed the condition. That term needs a `kind`.
     */
    attributeTo: z.number().int().min(0).max(7).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.attributeTo === undefined) return;
    const term = r.all[r.attributeTo];
    if (term === undefined) ctx.addIssue({ code: 'custom', path: ['attributeTo'], message: `no term ${r.attributeTo}` });
    else if (term.kind === undefined) ctx.addIssue({ code: 'custom', path: ['all', r.attributeTo, 'kind'], message: 'the attributeTo term needs a kind' });
    if (r.scope !== 'site') ctx.addIssue({ code: 'custom', path: ['attributeTo'], message: 'only for scope "site"' });
  });

export const RuleSchema = z.discriminatedUnion('type', [
  ThresholdRuleSchema,
  RateRuleSchema,
  AbsenceRuleSchema,
  AqiRuleSchema,
  CompositeRuleSchema,
]);
export type Rule = z.infer<typeof RuleSchema>;
export type ThresholdRule = z.infer<typeof ThresholdRuleSchema>;
export type RateRule = z.infer<typeof RateRuleSchema>;
export type AbsenceRule = z.infer<typeof AbsenceRuleSchema>;
export type AqiRule = z.infer<typeof AqiRuleSchema>;
export type CompositeRule = z.infer<typeof CompositeRuleSchema>;
export type CompositeTerm = z.infer<typeof CompositeTermSchema>;

export const RuleFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    description: z.string().max(2000).optional(),
    rules: z.array(RuleSchema).max(1000),
  })
  .superRefine((file, ctx) => {
    const seen = new Map<string, number>();
    file.rules.forEach((rule, i) => {
      const prev = seen.get(rule.id);
      if (prev !== undefined) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id "${rule.id}" (also rules[${prev}])` });
      seen.set(rule.id, i);
      if ('thresholds' in rule) checkOrder(rule, ctx, i);
    });
  });

/** A parsed rule file and where it came from (named in every error). */
export type RuleFile = z.infer<typeof RuleFileSchema> & { source: string };

/** Constant grade thresholds must be ordered (higher grade = further out), to catch typos. */
function checkOrder(rule: Rule & { thresholds: Grades }, ctx: z.RefinementCtx, i: number): void {
  const down = rule.type === 'threshold' && rule.direction === 'below';
  let prev: { key: string; value: number } | undefined;
  for (const key of GRADE_KEYS) {
    const t = rule.thresholds[key];
    if (typeof t !== 'number') continue;
    if (prev !== undefined && (down ? t > prev.value : t < prev.value)) {
      ctx.addIssue({ code: 'custom', path: ['rules', i, 'thresholds', key], message: `${key} ${t} is ${down ? 'above' : 'below'} ${prev.key} ${prev.value}: grades must get ${down ? 'lower' : 'higher'} from blue to red` });
    }
    prev = { key, value: t };
  }
}

/** `rules[3].thresholds.red` from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? '(root)' : out;
}

/**
 * Validates one rule file document. Throws GANZHI_ERR_RULE_INVALID naming `source` and the field
 * path of every problem, e.g. `deploy/rules/river.json: rules[0].thresholds.red: expected number`.
 */
export function parseRuleFile(doc: unknown, source: string): RuleFile {
  const res = RuleFileSchema.safeParse(doc);
  if (!res.success) {
    const lines = res.error.issues.slice(0, 20).map((i) => `${source}: ${formatPath(i.path)}: ${i.message}`);
    throw new GanzhiError('GANZHI_ERR_RULE_INVALID', lines.join('; '), { details: { source, issues: lines } });
  }
  return { ...res.data, source };
}

/** The device kinds a rule applies to. */
export function kindsOf(rule: Rule): readonly DeviceKind[] {
  return typeof rule.kind === 'string' ? [rule.kind] : rule.kind;
}
