import { SEVERITY_OF, compileFilter, makeSignal, tickSource } from './common';
import type { AbsenceCompiled } from './common';
import type { AbsenceRule } from './schema';
import type { AbsenceSlot } from './state';

/** Default silence allowance: three missed reports. */
export const DEFAULT_ABSENCE_FACTOR = 3;

/**
 * `absence`: a device silent for longer than reportIntervalSec x factor (or afterSec) raises an
 * `offline` signal on tick; its next reading clears it. Silence is measured from the latest
 * receivedAt (the gateway's clock, not the device's), so a device with a wrong clock is not offline.
 */
export function compileAbsence(rule: AbsenceRule): AbsenceCompiled {
  const { id, title } = rule;
  const severity = SEVERITY_OF[rule.level];
  const fixedMs = rule.afterSec === undefined ? undefined : rule.afterSec * 1000;
  const factor = rule.factor ?? DEFAULT_ABSENCE_FACTOR;
  return {
    id,
    applies: compileFilter(rule.filter),
    seen(r, d, st, out) {
      const slot = st.r[id] as AbsenceSlot | undefined;
      if (slot === undefined || !(slot.lv > 0)) return;
      slot.lv = 0;
      out.push(makeSignal(r.deviceId, r.kind, r.site ?? d.site, id, 'offline', 0, r.receivedAt, r.sourceId, undefined, undefined, undefined, `${title}: reporting again`));
    },
    tick(d, st, now, out) {
      const limitMs = fixedMs ?? d.reportIntervalSec * factor * 1000;
      const silentMs = now - st.seen;
      const slot = st.r[id] as AbsenceSlot | undefined;
      if (silentMs <= limitMs || (slot !== undefined && slot.lv > 0)) return false;
      st.r[id] = { lv: severity };
      const silentSec = Math.floor(silentMs / 1000);
      out.push(
        makeSignal(d.id, d.kind, d.site, id, 'offline', severity, now, tickSource(now), 'silentSec', silentSec, limitMs / 1000, `${title}: no reading for ${silentSec} s (limit ${limitMs / 1000} s)`),
      );
      return true;
    },
  };
}
