import type { Device } from '@ganzhi/registry';
import type { RuleFile, ThresholdRef } from '@ganzhi/rules';
import { LEVELS, type api } from '@ganzhi/schemas';

type Band = import('zod').infer<typeof api.ThresholdBandSchema>;

/** A threshold resolved for one device: a number, or the device's attribute plus its offset. */
function resolve(ref: ThresholdRef, device: Device): number | undefined {
  if (typeof ref === 'number') return ref;
  const attr = device.attributes[ref.attr];
  if (typeof attr === 'number') return attr + (ref.offset ?? 0);
  return ref.default !== undefined ? ref.default + (ref.offset ?? 0) : undefined;
}

/** Whether a rule applies to the device (kind and filter). */
function applies(rule: RuleFile['rules'][number], device: Device): boolean {
  const kinds = Array.isArray(rule.kind) ? rule.kind : [rule.kind];
  if (!rule.enabled || !kinds.includes(device.kind)) return false;
  const f = rule.filter;
  if (f?.devices && !f.devices.includes(device.id)) return false;
  if (f?.sites && (!device.site || !f.sites.includes(device.site))) return false;
  if (f?.attributes && !Object.entries(f.attributes).every(([k, v]) => (Array.isArray(v) ? v : [v]).includes(device.attributes[k] as never))) return false;
  return true;
}

/** Rule id -> the metric it watches, for the device's single-metric rules (threshold, rate). */
export function ruleMetrics(files: readonly RuleFile[], device: Device): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of files) for (const rule of file.rules) if (applies(rule, device) && 'metric' in rule && typeof rule.metric === 'string') out[rule.id] = rule.metric;
  return out;
}

/**
 * The grade levels of the threshold rules that apply to a device, resolved with its attributes
 * (a gauge's warning / guaranteed / historical maximum levels): the bands a device chart draws.
 * Rules on a difference or an absolute value are left out (they do not compare the plain metric).
 */
export function thresholdBands(files: readonly RuleFile[], device: Device): Band[] {
  const bands: Band[] = [];
  for (const file of files) {
    for (const rule of file.rules) {
      if (rule.type !== 'threshold' || rule.minus || rule.abs || !applies(rule, device)) continue;
      for (const level of LEVELS) {
        const ref = rule.thresholds[level];
        const value = ref === undefined ? undefined : resolve(ref, device);
        if (value !== undefined) bands.push({ ruleId: rule.id, metric: rule.metric, level, value, direction: rule.direction });
      }
    }
  }
  return bands;
}
