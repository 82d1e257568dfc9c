import { DEVICE_KINDS, GanzhiError } from '@ganzhi/schemas';
import type { DeviceKind, Reading, Signal } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import { compileAbsence } from './absence';
import { compileAqi } from './aqi-rule';
import { makeSignal, tickSource } from './common';
import type { AbsenceCompiled, Applies, DeviceRule, SiteRule } from './common';
import { compileDeviceComposite, compileSiteComposite } from './composite';
import { compileRate, compileThreshold } from './graded';
import { kindsOf } from './schema';
import type { Rule, RuleFile } from './schema';
import { isCompositeSlot, isGradeSlot, newDeviceState, newSiteState } from './state';
import type { CompositeSlot, DeviceRuleState, RuleSlot, SiteRuleState } from './state';

/**
 * The rule engine's contract with the rules service (services/rules). Pure: no I/O, no clock —
 * time comes in as arguments (the reading's ts, or `now` for ticks), so tests use a fake clock
 * and a replay gives the same signals.
 *
 * State: one DeviceRuleState per device and one SiteRuleState per site (the readings topic is keyed
 * by site, so one evaluator owns a site and all its devices). States are plain JSON and bounded.
 * The engine UPDATES THE STATE OBJECTS IN PLACE and returns them (creating them when `undefined`
 * is passed); it keeps no reference between calls. A service that could not make a batch's outputs
 * durable must drop its in-memory states for that batch and restore them from the state log.
 *
 * Signals are emitted on change only: a raise when the level changes (first raise, upgrade,
 * downgrade), a clear when the condition is gone. A reading older than the device's latest one, or
 * the same one again (same ts and sourceId), is skipped by value rules, so a re-delivered batch
 * after a state save does not raise twice.
 */
export interface RuleEngine {
  /** Evaluates one reading of `device`. `siteState` is that of `reading.site ?? device.site`. */
  evaluate(reading: Reading, device: Device, state: DeviceRuleState | undefined, siteState?: SiteRuleState): RuleOutcome;
  /**
   * Time-driven checks for one device at `now`: absence (offline), composite windows running out
   * (also the site's). Called by the service's sweep for every device in the registry.
   */
  tick(device: Device, state: DeviceRuleState | undefined, now: number, siteState?: SiteRuleState): RuleOutcome;
  /** Ids of the compiled (enabled) rules, for logs and the API. */
  readonly ruleIds: readonly string[];
}

export interface RuleOutcome {
  signals: readonly Signal[];
  /** The device's state (the object passed in, updated, or a new one). */
  state: DeviceRuleState;
  /** True when `state` did not change (the service may skip writing it). */
  unchanged: boolean;
  /** The site's state when the device has a site and site rules apply to its kind, else what was passed. */
  siteState: SiteRuleState | undefined;
  siteUnchanged: boolean;
}

export type { DeviceRuleState, SiteRuleState } from './state';

interface KindRules {
  readonly fp: string;
  readonly values: readonly DeviceRule[];
  readonly tickers: readonly DeviceRule[];
  readonly absence: readonly AbsenceCompiled[];
  readonly site: readonly SiteRule[];
  readonly applies: ReadonlyMap<string, Applies | undefined>;
}

const EMPTY: readonly Signal[] = Object.freeze([]);

/** FNV-1a, 32-bit, as 8 hex digits: a short fingerprint of a rule set. */
function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Compiles the enabled rules of `files`, once per device kind. Throws GANZHI_ERR_RULE_INVALID on a duplicate id. */
export function createRuleEngine(files: readonly RuleFile[]): RuleEngine {
  const owner = new Map<string, string>();
  const rules: Rule[] = [];
  for (const file of files) {
    for (const [i, rule] of file.rules.entries()) {
      const prev = owner.get(rule.id);
      if (prev !== undefined) throw new GanzhiError('GANZHI_ERR_RULE_INVALID', `${file.source}: rules[${i}].id: duplicate rule id "${rule.id}" (also in ${prev})`);
      owner.set(rule.id, file.source);
      if (rule.enabled) rules.push(rule);
    }
  }
  const siteRules = rules.filter((r) => r.type === 'composite' && r.scope === 'site');
  const siteFp = fingerprint(JSON.stringify(siteRules));
  const siteIds = new Set(siteRules.map((r) => r.id));
  const compiledSite = new Map(siteRules.map((r) => [r.id, compileSiteComposite(r as Extract<Rule, { type: 'composite' }>)]));

  const byKind = {} as Record<DeviceKind, KindRules>;
  for (const kind of DEVICE_KINDS) {
    const mine = rules.filter((r) => kindsOf(r).includes(kind));
    const values: DeviceRule[] = [];
    const absence: AbsenceCompiled[] = [];
    const site: SiteRule[] = [];
    for (const r of mine) {
      if (r.type === 'threshold') values.push(compileThreshold(r));
      else if (r.type === 'rate') values.push(compileRate(r));
      else if (r.type === 'aqi') values.push(compileAqi(r));
      else if (r.type === 'absence') absence.push(compileAbsence(r));
      else if (r.scope === 'device') values.push(compileDeviceComposite(r));
      else site.push(compiledSite.get(r.id)!);
    }
    const deviceRules = mine.filter((r) => !siteIds.has(r.id));
    byKind[kind] = {
      fp: fingerprint(JSON.stringify(deviceRules)),
      values,
      tickers: values.filter((v) => v.tick !== undefined),
      absence,
      site,
      applies: new Map([...values, ...absence].map((v) => [v.id, v.applies])),
    };
  }

  const out: Signal[] = [];
  const take = (): readonly Signal[] => (out.length === 0 ? EMPTY : out.splice(0));

  /** Clears whatever a slot has raised and forgets it (rule removed, or no longer applying). */
  function release(slots: Record<string, RuleSlot>, id: string, d: Device, site: string | undefined, ts: number, source: string): void {
    const slot = slots[id];
    delete slots[id];
    if (slot === undefined) return;
    if ('t' in slot && 'r' in slot) {
      const c = slot as CompositeSlot;
      for (const dev in c.r) out.push(makeSignal(dev, c.r[dev]!, site, id, 'value', 0, ts, source, undefined, undefined, undefined, 'rule removed'));
    } else if ('lv' in slot && slot.lv > 0) {
      out.push(makeSignal(d.id, d.kind, site, id, isGradeSlot(slot) ? 'value' : 'offline', 0, ts, source, undefined, undefined, undefined, 'rule removed'));
    }
  }

  function reconcile(k: KindRules, st: DeviceRuleState, d: Device, site: string | undefined, ts: number, source: string): void {
    for (const id in st.r) {
      const applies = k.applies.get(id);
      if (k.applies.has(id) && (applies === undefined || applies(d, site))) continue;
      release(st.r, id, d, site, ts, source);
    }
    st.fp = k.fp;
  }

  function siteStateFor(ss: SiteRuleState | undefined, d: Device, site: string, ts: number, source: string): SiteRuleState {
    const s = ss ?? newSiteState(siteFp);
    if (s.fp !== siteFp) {
      for (const id in s.r) {
        if (!siteIds.has(id) || !isCompositeSlot(s.r[id], (siteRules.find((r) => r.id === id) as { all: unknown[] }).all.length)) release(s.r, id, d, site, ts, source);
      }
      s.fp = siteFp;
    }
    return s;
  }

  return {
    ruleIds: rules.map((r) => r.id),

    evaluate(r, d, state, siteState) {
      const k = byKind[r.kind];
      const site = r.site ?? d.site;
      const st = state ?? newDeviceState(k.fp);
      let changed = state === undefined || st.fp !== k.fp;
      if (st.fp !== k.fp) reconcile(k, st, d, site, r.ts, r.sourceId);
      // derived means prove nothing about the device being alive (a tick may have closed them)
      const derived = r.origin === 'derived';
      if (!derived && r.receivedAt > st.seen) {
        st.seen = r.receivedAt;
        changed = true;
      }
      if (!derived) for (const a of k.absence) a.seen(r, d, st, out);
      if (out.length > 0) changed = true;
      let ss = siteState;
      let siteChanged = false;
      // late or repeated readings: absence above only (they still prove the device is alive);
      // so do status messages, which are stamped by the gateway's clock, not the device's
      // derived means (origin 'derived') are evaluated once, by the stage that derived them, before
      // the reading that closed their period: they are labelled with the period's start, so they
      // neither pass nor move the late-reading mark
      if (derived || (r.origin !== 'status' && (r.ts > st.ts || (r.ts === st.ts && r.sourceId !== st.src)))) {
        if (!derived) {
          st.ts = r.ts;
          st.src = r.sourceId;
        }
        changed = true;
        for (const rule of k.values) {
          if (rule.applies !== undefined && !rule.applies(d, site)) {
            if (st.r[rule.id] !== undefined) release(st.r, rule.id, d, site, r.ts, r.sourceId);
            continue;
          }
          rule.evaluate(r, d, st, out);
        }
        if (site !== undefined && k.site.length > 0) {
          siteChanged = siteState === undefined || siteState.fp !== siteFp;
          ss = siteStateFor(siteState, d, site, r.ts, r.sourceId);
          for (const rule of k.site) {
            if (rule.applies !== undefined && !rule.applies(d, site)) continue;
            if (rule.evaluate(r, d, site, ss, out)) siteChanged = true;
          }
        }
      }
      return { signals: take(), state: st, unchanged: !changed, siteState: ss, siteUnchanged: !siteChanged };
    },

    tick(d, state, now, siteState) {
      const k = byKind[d.kind];
      const site = d.site;
      let st = state;
      let changed = false;
      if (k.absence.length > 0 || k.tickers.length > 0) {
        if (st === undefined) {
          st = newDeviceState(k.fp);
          changed = true;
        }
        if (st.fp !== k.fp) {
          reconcile(k, st, d, site, now, tickSource(now));
          changed = true;
        }
        // a device never heard from: its silence is counted from the first sweep that knows it
        if (st.seen < 0) {
          st.seen = now;
          changed = true;
        }
        for (const a of k.absence) {
          if (a.applies !== undefined && !a.applies(d, site)) continue;
          if (a.tick(d, st, now, out)) changed = true;
        }
        for (const t of k.tickers) if (t.tick!(d, st, now, out)) changed = true;
      }
      let siteChanged = false;
      if (site !== undefined && siteState !== undefined && k.site.length > 0) {
        siteChanged = siteState.fp !== siteFp;
        siteStateFor(siteState, d, site, now, tickSource(now));
        for (const rule of k.site) if (rule.tick(site, siteState, now, out)) siteChanged = true;
      }
      return { signals: take(), state: st ?? newDeviceState(k.fp), unchanged: !changed, siteState, siteUnchanged: !siteChanged };
    },
  };
}
