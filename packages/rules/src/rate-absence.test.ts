import { describe, expect, it } from 'vitest';
import { device, engineOf, reading, run, series } from './test-support';
import type { Step, Table } from './test-support';

const gauge = device('g1', 'river_gauge', { reportIntervalSec: 60 });
const air = device('a1', 'air_monitor', { reportIntervalSec: 60 });

const riseRule = (extra: Record<string, unknown> = {}) => ({
  id: 'rise',
  title: 'river rising',
  source: 'domain README §4.4 [P]',
  kind: 'river_gauge',
  type: 'rate',
  metric: 'waterLevel',
  direction: 'rise',
  windowSec: 3600,
  thresholds: { yellow: 0.3, orange: 0.5 },
  ...extra,
});

const offline = (extra: Record<string, unknown> = {}) => ({
  id: 'offline',
  title: 'device offline',
  source: 'test',
  kind: ['river_gauge', 'air_monitor'],
  type: 'absence',
  factor: 3,
  level: 'yellow',
  ...extra,
});

interface Case extends Table {
  rules: unknown[];
  devices?: ReturnType<typeof device>[];
}

const min = 60;
const cases: Case[] = [
  {
    name: 'rate: a river rising more than 0.3 m within an hour raises yellow, more than 0.5 m orange',
    rules: [riseRule()],
    input: series(0, 10 * min, [10.0, 10.1, 10.2, 10.35, 10.55, 10.55], 'waterLevel'),
    expect: ['1800s g1 raise:yellow', '2400s g1 raise:orange'],
  },
  {
    name: 'rate: the same rise spread over more than the window raises nothing',
    rules: [riseRule()],
    input: series(0, 30 * min, [10.0, 10.1, 10.2, 10.3, 10.4, 10.5], 'waterLevel'),
    expect: [],
  },
  {
    name: 'rate: the rise is measured from the lowest level in the window (a dip then a surge counts)',
    rules: [riseRule()],
    input: series(0, 10 * min, [10.0, 9.8, 10.15], 'waterLevel'),
    expect: ['1200s g1 raise:yellow'],
  },
  {
    name: 'rate: clears once the low point has left the window',
    rules: [riseRule()],
    input: series(0, 20 * min, [10.0, 10.4, 10.4, 10.4, 10.4, 10.4], 'waterLevel'),
    expect: ['1200s g1 raise:yellow', '4800s g1 clear'],
  },
  {
    name: 'rate: a fall rule watches the drop instead',
    rules: [riseRule({ id: 'drop', direction: 'fall', thresholds: { blue: 1 } })],
    input: series(0, 10 * min, [10.0, 10.5, 9.4, 9.4], 'waterLevel'),
    expect: ['1200s g1 raise:blue'],
  },
  {
    name: 'rate: a PM2.5 jump of 60 within 10 minutes',
    rules: [{ ...riseRule(), id: 'pm-jump', kind: 'air_monitor', metric: 'pm25', windowSec: 600, thresholds: { yellow: 60 } }],
    devices: [air],
    input: series(0, 2 * min, [20, 25, 30, 95, 90, 90, 90, 90, 90], 'pm25', 'a1'),
    expect: ['360s a1 raise:yellow', '960s a1 clear'],
  },
  {
    name: 'absence: silent for more than 3 report intervals raises offline on tick; the next reading clears it',
    rules: [offline()],
    input: [{ t: 0, m: { waterLevel: 1 } }, { tick: 100 }, { tick: 181 }, { tick: 300 }, { t: 310, m: { waterLevel: 1 } }, { tick: 320 }],
    expect: ['181s g1 raise:yellow', '310s g1 clear'],
  },
  {
    name: 'absence: a fixed time instead of the report interval',
    rules: [offline({ factor: undefined, afterSec: 900 })],
    input: [{ t: 0, m: { waterLevel: 1 } }, { tick: 600 }, { tick: 901 }],
    expect: ['901s g1 raise:yellow'],
  },
  {
    name: 'absence: a device never heard from is offline once the limit has passed since the first sweep',
    rules: [offline()],
    input: [{ tick: 0 }, { tick: 120 }, { tick: 200 }],
    expect: ['200s g1 raise:yellow'],
  },
  {
    name: 'absence: silence is measured from when the gateway received the reading, not the device clock',
    rules: [offline()],
    input: [{ t: -3600, recv: 0, m: { waterLevel: 1 } }, { tick: 120 }, { tick: 181 }],
    expect: ['181s g1 raise:yellow'],
  },
];

describe('rate and absence rules', () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(run(engineOf(c.rules), c.devices ?? [gauge], c.input).lines).toEqual(c.expect);
    });
    it(`${c.name} — same signals when the state goes through JSON after every step`, () => {
      expect(run(engineOf(c.rules), c.devices ?? [gauge], c.input, { roundTrip: true }).lines).toEqual(c.expect);
    });
  }

  it('offline signals are marked as such, value signals as values', () => {
    const { signals } = run(engineOf([offline(), riseRule()]), [gauge], [{ t: 0, m: { waterLevel: 1 } }, { tick: 200 }, { t: 210, m: { waterLevel: 2 } }]);
    expect(signals.map((s) => [s.ruleId, s.state, s.category])).toEqual([
      ['offline', 'raise', 'offline'],
      ['offline', 'clear', 'offline'],
      ['rise', 'raise', 'value'],
    ]);
    expect(signals[0]).toMatchObject({ metric: 'silentSec', value: 200, threshold: 180 });
  });

  it('rate state stays bounded however often the device reports', () => {
    const steps = series(0, 1, Array.from({ length: 5000 }, (_, i) => 10 + (i % 7) / 100), 'waterLevel');
    const engine = engineOf([riseRule()]);
    let state;
    for (const s of steps) state = engine.evaluate(readingOf(s), gauge, state).state;
    expect(JSON.stringify(state).length).toBeLessThan(4000);
  });
});

function readingOf(s: Step) {
  if ('tick' in s) throw new Error('reading step expected');
  return reading(gauge, s.t, s.m ?? {});
}
