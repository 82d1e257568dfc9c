import { GRADE, type AlertChange, type Level } from '@ganzhi/schemas';
import { formatDuration } from './duration';
import { eventTime, type AllowedAlert, type Scenario } from './scenario/schema';

/*
 * Raised alerts against expected alerts: a pure function, used by the CLI after a run and by the
 * scenario tests. An alert "occurrence" is a change that brings a (device, rule) alert to a grade:
 * raised, upgraded or reactivated. Downgrades, clears and operator actions are not occurrences.
 */

export interface Occurrence {
  readonly deviceId: string;
  readonly ruleId: string;
  readonly level: Level;
  /** Scenario clock of the change (the signal's timestamp), epoch ms. */
  readonly at: number;
  readonly alertId: string;
  readonly type: 'raised' | 'upgraded' | 'reactivated';
}

/** An expectation with its window resolved to epoch ms. */
export interface Expectation {
  readonly device: string;
  readonly rule: string;
  readonly grade: Level;
  readonly from: number;
  readonly to: number;
  /** Human text of the window, e.g. `within 6h of rain-starts`. */
  readonly window: string;
}

export interface Comparison {
  readonly ok: boolean;
  readonly matched: readonly { expected: Expectation; got: Occurrence }[];
  /** Expected, and no alert of that device and rule was raised in the window at all. */
  readonly missing: readonly { expected: Expectation; seen: readonly Occurrence[] }[];
  /** Expected, and the device and rule alerted in the window, but at other grades. */
  readonly wrongGrade: readonly { expected: Expectation; got: readonly Occurrence[] }[];
  /** Raised, not expected and not allowed. */
  readonly unexpected: readonly Occurrence[];
  /** Raised, not expected, but allowed by the scenario's `allow` list. */
  readonly tolerated: readonly Occurrence[];
  /** Raised by devices that are not in the scenario (other traffic on the same pipeline): not judged. */
  readonly ignored: readonly Occurrence[];
}

const OCCURRENCES = new Set(['raised', 'upgraded', 'reactivated']);

/** The occurrences among alert changes, de-duplicated by (alertId, seq), in time order. */
export function occurrencesOf(changes: readonly AlertChange[]): Occurrence[] {
  const seen = new Set<string>();
  const out: Occurrence[] = [];
  for (const c of changes) {
    if (!OCCURRENCES.has(c.event.type)) continue;
    const key = `${c.alertId}#${c.seq}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ deviceId: c.deviceId, ruleId: c.ruleId, level: c.level, at: c.event.at, alertId: c.alertId, type: c.event.type as Occurrence['type'] });
  }
  return out.sort((a, b) => a.at - b.at);
}

/** A scenario's expectations with windows in epoch ms, for a run whose t = 0 was `start`. */
export function expectationsOf(scenario: Pick<Scenario, 'expect' | 'events'>, start: number): Expectation[] {
  return scenario.expect.map((x) => {
    const at = eventTime(scenario, x.after);
    if (at === undefined) throw new RangeError(`expectation refers to unknown event "${x.after}"`);
    return { device: x.device, rule: x.rule, grade: x.grade, from: start + at, to: start + at + x.within, window: `within ${formatDuration(x.within)} of ${x.after}` };
  });
}

const allows = (a: AllowedAlert, o: Occurrence) =>
  (a.device === '*' || a.device === o.deviceId) && (a.rule === undefined || a.rule === o.ruleId) && (a.grades === undefined || a.grades.includes(o.level));

/**
 * Matches occurrences to expectations: first the exact ones (device, rule, grade, in the window),
 * then, for each expectation left, other grades of the same device and rule in its window (wrong
 * grade); what is still left is missing. Occurrences nobody expected are unexpected unless the
 * allow list tolerates them. With `devices`, occurrences of other devices are only listed as ignored.
 */
export function compareAlerts(
  expected: readonly Expectation[],
  all: readonly Occurrence[],
  allow: readonly AllowedAlert[] = [],
  devices?: ReadonlySet<string>,
): Comparison {
  const occurrences = devices ? all.filter((o) => devices.has(o.deviceId)) : all;
  const ignored = devices ? all.filter((o) => !devices.has(o.deviceId)) : [];
  const used = new Set<Occurrence>();
  const sameAlert = (x: Expectation, o: Occurrence) => o.deviceId === x.device && o.ruleId === x.rule;
  const inWindow = (x: Expectation, o: Occurrence) => o.at >= x.from && o.at <= x.to;

  const matched: { expected: Expectation; got: Occurrence }[] = [];
  const open: Expectation[] = [];
  for (const x of expected) {
    const got = occurrences.find((o) => !used.has(o) && sameAlert(x, o) && o.level === x.grade && inWindow(x, o));
    if (got) {
      used.add(got);
      matched.push({ expected: x, got });
    } else {
      open.push(x);
    }
  }
  const missing: { expected: Expectation; seen: Occurrence[] }[] = [];
  const wrongGrade: { expected: Expectation; got: Occurrence[] }[] = [];
  for (const x of open) {
    // Every grade the alert reached in the window is shown (also ones that matched another
    // expectation, such as the yellow before an expected orange); the unmatched ones are consumed.
    const inIt = occurrences.filter((o) => sameAlert(x, o) && inWindow(x, o));
    if (inIt.length > 0) {
      for (const o of inIt) used.add(o);
      wrongGrade.push({ expected: x, got: inIt });
    } else {
      missing.push({ expected: x, seen: occurrences.filter((o) => sameAlert(x, o)) });
    }
  }
  const rest = occurrences.filter((o) => !used.has(o));
  const tolerated = rest.filter((o) => allow.some((a) => allows(a, o)));
  const unexpected = rest.filter((o) => !tolerated.includes(o));
  return { ok: missing.length === 0 && wrongGrade.length === 0 && unexpected.length === 0, matched, missing, wrongGrade, unexpected, tolerated, ignored };
}

/** Compares the alert changes seen during a run with the scenario's expected alerts (its own devices only). */
export function compareScenario(scenario: Pick<Scenario, 'expect' | 'events' | 'allow' | 'devices'>, start: number, changes: readonly AlertChange[]): Comparison {
  const devices = new Set(scenario.devices.map((d) => d.id));
  return compareAlerts(expectationsOf(scenario, start), occurrencesOf(changes), scenario.allow, devices);
}

const grade = (l: Level) => `${l} (${GRADE[l]})`;

/** A readable report, one line per expectation and per extra alert; times relative to `start`. */
export function formatComparison(c: Comparison, start: number): string {
  const rel = (at: number) => formatDuration(at - start, true);
  const occ = (o: Occurrence) => `${grade(o.level)} ${o.type} at ${rel(o.at)}`;
  const name = (x: Expectation) => `${x.device} ${x.rule}`;
  const lines: string[] = [];
  const expectedCount = c.matched.length + c.missing.length + c.wrongGrade.length;
  lines.push(`alerts: ${expectedCount} expected, ${c.matched.length} matched, ${c.missing.length} missing, ${c.wrongGrade.length} wrong grade, ${c.unexpected.length} unexpected, ${c.tolerated.length} tolerated`);
  for (const m of c.matched) lines.push(`  ok           ${name(m.expected)} ${grade(m.expected.grade)} ${m.expected.window}: ${occ(m.got)}`);
  for (const m of c.missing) {
    const seen = m.seen.length > 0 ? `; outside the window: ${m.seen.map(occ).join(', ')}` : '';
    lines.push(`  MISSING      ${name(m.expected)} ${grade(m.expected.grade)} ${m.expected.window} (${rel(m.expected.from)}..${rel(m.expected.to)}): none raised${seen}`);
  }
  for (const w of c.wrongGrade) lines.push(`  WRONG GRADE  ${name(w.expected)}: expected ${grade(w.expected.grade)} ${w.expected.window}, got ${w.got.map(occ).join(', ')}`);
  for (const u of c.unexpected) lines.push(`  UNEXPECTED   ${u.deviceId} ${u.ruleId} ${occ(u)}`);
  for (const u of c.tolerated) lines.push(`  tolerated    ${u.deviceId} ${u.ruleId} ${occ(u)}`);
  if (c.ignored.length > 0) lines.push(`  (${c.ignored.length} alert(s) of devices outside the scenario ignored: ${[...new Set(c.ignored.map((o) => o.deviceId))].join(', ')})`);
  lines.push(c.ok ? 'result: as expected' : 'result: DIFFERENT from expected');
  return lines.join('\n');
}
