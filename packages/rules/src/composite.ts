import type { DeviceKind, Reading, Signal } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import { SEVERITY_OF, compileFilter, makeSignal, own, setOwn, tickSource } from './common';
import type { DeviceRule, SiteRule } from './common';
import { resolver } from './grade';
import type { Resolver } from './grade';
import type { CompositeRule } from './schema';
import { LIMITS, isCompositeSlot } from './state';
import type { CompositeSlot } from './state';

/** Only these quality flags count toward a composite metric condition (domain README §1.6). */
const COUNTED = new Set(['N', 'S', 'T']);

interface Cond {
  readonly metric: string | undefined;
  readonly op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'ne';
  readonly value: Resolver | undefined;
  readonly state: string | undefined;
  readonly values: ReadonlySet<string | number | boolean> | undefined;
}

interface Term {
  readonly kind: DeviceKind | undefined;
  readonly conds: readonly Cond[];
  /** Kept per device (deviceId -> ts): `latest` terms and the attributed term. */
  readonly perDevice: boolean;
  readonly latest: boolean;
  readonly maxAgeMs: number;
}

function compare(op: Cond['op'], v: number, t: number): boolean {
  switch (op) {
    case 'gt':
      return v > t;
    case 'gte':
      return v >= t;
    case 'lt':
      return v < t;
    case 'lte':
      return v <= t;
    case 'eq':
      return v === t;
    case 'ne':
      return v !== t;
  }
}

/** 1 the reading satisfies the term, 0 it contradicts it, -1 it says nothing about it. */
function test(term: Term, r: Reading, d: Device): number {
  if (term.kind !== undefined && r.kind !== term.kind) return -1;
  let res = -1;
  for (const c of term.conds) {
    let ok: boolean;
    if (c.metric !== undefined) {
      const m = own(r.metrics, c.metric);
      if (m === undefined || !COUNTED.has(m.quality)) continue;
      const t = c.value!(d);
      if (t === undefined) continue;
      ok = compare(c.op, m.value, t);
    } else {
      const s = own(r.states, c.state!);
      if (s === undefined) continue;
      ok = c.values!.has(s);
    }
    if (ok) return 1;
    res = 0;
  }
  return res;
}

function fresh(ts: number, now: number, maxAgeMs: number): boolean {
  return ts >= 0 && now - ts <= maxAgeMs;
}

/** Drops stale entries; then, if still full, the oldest. Only called before adding a new device. */
function makeRoom(map: Record<string, number>, now: number, maxAgeMs: number): void {
  let n = 0;
  let oldest: string | undefined;
  for (const k in map) {
    if (!fresh(map[k]!, now, maxAgeMs)) delete map[k];
    else {
      n++;
      if (oldest === undefined || map[k]! < map[oldest]!) oldest = k;
    }
  }
  if (n >= LIMITS.termDevices && oldest !== undefined) delete map[oldest];
}

function held(term: Term, v: number | Record<string, number>, now: number): boolean {
  if (typeof v === 'number') return fresh(v, now, term.maxAgeMs);
  for (const k in v) if (fresh(v[k]!, now, term.maxAgeMs)) return true;
  return false;
}

/**
 * `composite`: all terms hold within the window. Scope `device`: over one device's readings (state
 * in the device state); scope `site`: over every device of the site (state in the site state),
 * raised on the device whose reading completed the condition, or with `attributeTo` on each device
 * holding that term (e.g. each operating crane). Clears when a term no longer holds, on a reading
 * or on tick once the window has passed.
 */
function compileCore(rule: CompositeRule) {
  const terms: Term[] = rule.all.map((t, i) => {
    const latest = (t.mode ?? (t.any.every((c) => 'state' in c) ? 'latest' : 'event')) === 'latest';
    return {
      kind: t.kind,
      conds: t.any.map((c) =>
        'metric' in c
          ? { metric: c.metric, op: c.op, value: resolver(c.value), state: undefined, values: undefined }
          : { metric: undefined, op: 'eq' as const, value: undefined, state: c.state, values: new Set(c.in) },
      ),
      perDevice: latest || i === rule.attributeTo,
      latest,
      maxAgeMs: (t.maxAgeSec ?? rule.windowSec) * 1000,
    };
  });
  const attr = rule.attributeTo;
  const severity = SEVERITY_OF[rule.level];
  const { id, title } = rule;
  const where = (site: string | undefined): string => (rule.scope === 'site' && site !== undefined ? ` at site ${site}` : '');

  function slotOf(rules: Record<string, unknown>): CompositeSlot {
    const s = rules[id] as CompositeSlot | undefined;
    if (isCompositeSlot(s, terms.length)) return s;
    const made: CompositeSlot = { t: terms.map((t) => (t.perDevice ? {} : -1)), r: {} };
    rules[id] = made;
    return made;
  }

  /** Records what the reading says; returns whether it touched any term. */
  function observe(slot: CompositeSlot, r: Reading, d: Device): boolean {
    let touched = false;
    for (let i = 0; i < terms.length; i++) {
      const term = terms[i]!;
      const res = test(term, r, d);
      if (res < 0) continue;
      touched = true;
      const v = slot.t[i]!;
      if (typeof v === 'number') {
        if (res === 1 && r.ts > v) slot.t[i] = r.ts;
      } else if (res === 1) {
        if (own(v, r.deviceId) === undefined) makeRoom(v, r.ts, term.maxAgeMs);
        setOwn(v, r.deviceId, r.ts);
      } else if (term.latest) {
        delete v[r.deviceId];
      }
    }
    return touched;
  }

  function emit(slot: CompositeSlot, dev: string, kind: DeviceKind, sev: number, now: number, site: string | undefined, source: string, out: Signal[]): void {
    const msg = sev > 0 ? `${title}${where(site)}` : `${title}${where(site)}: condition over`;
    out.push(makeSignal(dev, kind, site, id, 'value', sev, now, source, undefined, undefined, undefined, msg));
    if (sev > 0) setOwn(slot.r, dev, kind);
    else delete slot.r[dev];
  }

  /** Raises/clears to match the terms at `now`; `by` is the reading (undefined on tick). */
  function settle(slot: CompositeSlot, now: number, site: string | undefined, source: string, by: Reading | undefined, out: Signal[]): boolean {
    let others = true;
    for (let i = 0; i < terms.length && others; i++) if (i !== attr && !held(terms[i]!, slot.t[i]!, now)) others = false;
    let changed = false;
    if (attr === undefined) {
      let raised = false;
      for (const _ in slot.r) {
        raised = true;
        break;
      }
      if (others && !raised && by !== undefined) {
        emit(slot, by.deviceId, by.kind, severity, now, site, source, out);
        changed = true;
      } else if (!others && raised) {
        for (const dev in slot.r) emit(slot, dev, slot.r[dev]!, 0, now, site, source, out);
        changed = true;
      }
      return changed;
    }
    const term = terms[attr]!;
    const map = slot.t[attr] as Record<string, number>;
    for (const dev in slot.r) {
      if (others && fresh(own(map, dev) ?? -1, now, term.maxAgeMs)) continue;
      emit(slot, dev, slot.r[dev]!, 0, now, site, source, out);
      changed = true;
    }
    if (!others) return changed;
    for (const dev in map) {
      if (own(slot.r, dev) !== undefined || !fresh(map[dev]!, now, term.maxAgeMs)) continue;
      emit(slot, dev, term.kind!, severity, now, site, source, out);
      changed = true;
    }
    return changed;
  }

  return { id, applies: compileFilter(rule.filter), slotOf, observe, settle };
}

export function compileDeviceComposite(rule: CompositeRule): DeviceRule {
  const c = compileCore(rule);
  return {
    id: c.id,
    applies: c.applies,
    evaluate(r, d, st, out) {
      const slot = c.slotOf(st.r);
      if (c.observe(slot, r, d)) c.settle(slot, r.ts, r.site ?? d.site, r.sourceId, r, out);
    },
    tick(d, st, now, out) {
      const slot = st.r[c.id];
      if (slot === undefined) return false;
      return c.settle(c.slotOf(st.r), now, d.site, tickSource(now), undefined, out);
    },
  };
}

export function compileSiteComposite(rule: CompositeRule): SiteRule {
  const c = compileCore(rule);
  return {
    id: c.id,
    applies: c.applies,
    evaluate(r, d, site, ss, out) {
      const slot = c.slotOf(ss.r);
      if (!c.observe(slot, r, d)) return false;
      c.settle(slot, r.ts, site, r.sourceId, r, out);
      return true;
    },
    tick(site, ss, now, out) {
      if (ss.r[c.id] === undefined) return false;
      return c.settle(c.slotOf(ss.r), now, site, tickSource(now), undefined, out);
    },
  };
}
