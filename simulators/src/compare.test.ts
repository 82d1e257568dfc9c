import { describe, expect, it } from 'vitest';
import type { AlertChange, Level } from '@ganzhi/schemas';
import { compareAlerts, compareScenario, formatComparison, occurrencesOf, type Expectation, type Occurrence } from './compare';
import { parseScenario } from './scenario/load';

const T0 = Date.UTC(2026, 6, 1);
const MIN = 60_000;
const occ = (deviceId: string, ruleId: string, level: Level, atMin: number, type: Occurrence['type'] = 'raised'): Occurrence => ({ deviceId, ruleId, level, at: T0 + atMin * MIN, alertId: `${deviceId}:${ruleId}:x`, type });
const exp = (device: string, rule: string, grade: Level, fromMin: number, toMin: number): Expectation => ({ device, rule, grade, from: T0 + fromMin * MIN, to: T0 + toMin * MIN, window: `within ${toMin - fromMin}m of e` });

describe('comparing raised alerts with expected alerts', () => {
  it.each<[string, Expectation[], Occurrence[], { matched: number; missing: number; wrong: number; unexpected: number }]>([
    ['an exact match in the window', [exp('g', 'flood', 'red', 0, 60)], [occ('g', 'flood', 'red', 30)], { matched: 1, missing: 0, wrong: 0, unexpected: 0 }],
    ['the edges of the window count', [exp('g', 'flood', 'red', 0, 60), exp('g', 'flood', 'red', 0, 60)], [occ('g', 'flood', 'red', 0), occ('g', 'flood', 'red', 60, 'reactivated')], { matched: 2, missing: 0, wrong: 0, unexpected: 0 }],
    ['nothing raised', [exp('g', 'flood', 'red', 0, 60)], [], { matched: 0, missing: 1, wrong: 0, unexpected: 0 }],
    ['raised too late is missing plus unexpected', [exp('g', 'flood', 'red', 0, 60)], [occ('g', 'flood', 'red', 61)], { matched: 0, missing: 1, wrong: 0, unexpected: 1 }],
    ['another rule does not stand in', [exp('g', 'flood', 'red', 0, 60)], [occ('g', 'rise', 'red', 10)], { matched: 0, missing: 1, wrong: 0, unexpected: 1 }],
    ['a lower grade than expected', [exp('g', 'flood', 'red', 0, 60)], [occ('g', 'flood', 'orange', 10)], { matched: 0, missing: 0, wrong: 1, unexpected: 0 }],
    ['a higher grade than expected', [exp('g', 'flood', 'yellow', 0, 60)], [occ('g', 'flood', 'red', 10)], { matched: 0, missing: 0, wrong: 1, unexpected: 0 }],
    [
      'each grade of an escalating alert matched by its own expectation',
      [exp('g', 'flood', 'yellow', 0, 60), exp('g', 'flood', 'orange', 0, 60), exp('g', 'flood', 'red', 0, 60)],
      [occ('g', 'flood', 'yellow', 5), occ('g', 'flood', 'orange', 10, 'upgraded'), occ('g', 'flood', 'red', 20, 'upgraded')],
      { matched: 3, missing: 0, wrong: 0, unexpected: 0 },
    ],
    ['a quiet day: anything raised is unexpected', [], [occ('p', 'reefer', 'yellow', 400)], { matched: 0, missing: 0, wrong: 0, unexpected: 1 }],
  ])('%s', (_name, expected, got, want) => {
    const c = compareAlerts(expected, got);
    expect({ matched: c.matched.length, missing: c.missing.length, wrong: c.wrongGrade.length, unexpected: c.unexpected.length }).toEqual(want);
    expect(c.ok).toBe(want.missing + want.wrong + want.unexpected === 0);
  });

  it('names the grades that were reached when the expected one was not, including ones matched elsewhere', () => {
    const c = compareAlerts([exp('g', 'flood', 'yellow', 0, 60), exp('g', 'flood', 'red', 0, 60)], [occ('g', 'flood', 'yellow', 5), occ('g', 'flood', 'orange', 10, 'upgraded')]);
    expect(c.matched).toHaveLength(1);
    expect(c.wrongGrade[0]!.got.map((o) => o.level)).toEqual(['yellow', 'orange']);
    expect(c.unexpected).toEqual([]);
    expect(formatComparison(c, T0)).toContain('WRONG GRADE  g flood: expected red (I) within 60m of e, got yellow (III) raised at +5m, orange (II) upgraded at +10m');
  });

  it('tolerates what the allow list allows, and ignores devices outside the scenario', () => {
    const c = compareAlerts([], [occ('p', 'wind', 'blue', 5, 'reactivated'), occ('p', 'wind', 'yellow', 6), occ('x', 'wind', 'red', 7)], [{ device: 'p', rule: 'wind', grades: ['blue'] }], new Set(['p']));
    expect(c.tolerated.map((o) => o.level)).toEqual(['blue']);
    expect(c.unexpected.map((o) => o.level)).toEqual(['yellow']);
    expect(c.ignored.map((o) => o.deviceId)).toEqual(['x']);
    expect(formatComparison(c, T0)).toMatch(/tolerated +p wind blue \(IV\) reactivated at \+5m[\s\S]*1 alert\(s\) of devices outside the scenario ignored: x/);
  });

  it('counts raises, upgrades and reactivations once each (MQTT may deliver a change twice), not downgrades or operator actions', () => {
    const change = (seq: number, type: AlertChange['event']['type'], level: Level): AlertChange => ({
      alertId: 'g:flood:1', seq, deviceId: 'g', kind: 'river_gauge', ruleId: 'flood', level, status: 'open', condition: 'active', openedAt: T0, event: { type, actor: 'system:rules', at: T0 + seq * MIN },
    });
    const got = occurrencesOf([change(1, 'raised', 'yellow'), change(1, 'raised', 'yellow'), change(2, 'upgraded', 'red'), change(3, 'acknowledged', 'red'), change(4, 'downgraded', 'orange'), change(5, 'cleared', 'orange'), change(6, 'reactivated', 'orange')]);
    expect(got.map((o) => `${o.type} ${o.level}`)).toEqual(['raised yellow', 'upgraded red', 'reactivated orange']);
  });

  it('resolves windows from the scenario: after an event, within a duration, grades also as numerals', () => {
    const s = parseScenario({
      name: 's', title: 's', seed: 1, start: '2026-07-01T08:00:00+08:00', duration: '2h',
      devices: [{ id: 'g', kind: 'river_gauge' }],
      events: [{ id: 'storm', type: 'rain', at: '30m', duration: '1h', peakMmPerHour: 10 }],
      expect: [{ device: 'g', rule: 'flood', grade: 'II', after: 'storm', within: '20m' }],
    });
    const inside = compareScenario(s, s.start, [{ alertId: 'a', seq: 1, deviceId: 'g', kind: 'river_gauge', ruleId: 'flood', level: 'orange', status: 'open', condition: 'active', openedAt: s.start, event: { type: 'raised', actor: 'r', at: s.start + 45 * MIN } }]);
    expect(inside.ok).toBe(true);
    const before = compareScenario(s, s.start, [{ alertId: 'a', seq: 1, deviceId: 'g', kind: 'river_gauge', ruleId: 'flood', level: 'orange', status: 'open', condition: 'active', openedAt: s.start, event: { type: 'raised', actor: 'r', at: s.start + 25 * MIN } }]);
    expect(before.missing).toHaveLength(1);
    expect(formatComparison(before, s.start)).toContain('MISSING      g flood orange (II) within 20m of storm (+30m..+50m): none raised; outside the window: orange (II) raised at +25m');
  });
});
