import { describe, expect, it } from 'vitest';
import { device, engineOf, run, series } from './test-support';
import type { Table } from './test-support';

const gauge = device('g1', 'river_gauge', { attributes: { warningLevel: 12.5, guaranteedLevel: 14.0, historicalMax: 15.2 } });
const gaugeNoMax = device('g2', 'river_gauge', { attributes: { warningLevel: 12.5, guaranteedLevel: 14.0 } });

const flood = (extra: Record<string, unknown> = {}) => ({
  id: 'flood',
  title: 'flood level',
  source: 'MWR 2013 (domain README §4.3)',
  kind: 'river_gauge',
  type: 'threshold',
  metric: 'waterLevel',
  direction: 'above',
  thresholds: { blue: { attr: 'warningLevel', offset: -0.3 }, yellow: { attr: 'warningLevel' }, orange: { attr: 'guaranteedLevel' }, red: { attr: 'historicalMax' } },
  clearBand: 0.05,
  ...extra,
});

const simple = (extra: Record<string, unknown> = {}) => ({
  id: 'hi',
  title: 'high',
  source: 'test',
  kind: 'river_gauge',
  type: 'threshold',
  metric: 'x',
  direction: 'above',
  thresholds: { yellow: 10, red: 20 },
  ...extra,
});

interface Case extends Table {
  rules: unknown[];
  devices?: typeof gauge[];
}

const cases: Case[] = [
  {
    name: 'grades follow the gauge attributes up and down (blue near the warning level, red over the historical max)',
    rules: [flood()],
    input: series(0, 60, [12.0, 12.3, 12.6, 14.1, 15.5, 13.0, 11.0], 'waterLevel'),
    expect: ['60s g1 raise:blue', '120s g1 raise:yellow', '180s g1 raise:orange', '240s g1 raise:red', '300s g1 raise:yellow', '360s g1 clear'],
  },
  {
    name: 'a device without the attribute does not get that grade',
    rules: [flood()],
    devices: [gaugeNoMax],
    input: series(0, 60, [15.5], 'waterLevel', 'g2'),
    expect: ['0s g2 raise:orange'],
  },
  {
    name: 'an attribute default stands in for a missing attribute',
    rules: [flood({ thresholds: { red: { attr: 'historicalMax', default: 15.0 } } })],
    devices: [gaugeNoMax],
    input: series(0, 60, [14.9, 15.1], 'waterLevel', 'g2'),
    expect: ['60s g2 raise:red'],
  },
  {
    name: 'a value hovering around the line does not flap with a clear band',
    rules: [simple({ clearBand: 1 })],
    input: series(0, 10, [9.9, 10.1, 9.8, 10.2, 9.5, 10.0, 9.1, 8.9, 9.5, 10.0], 'x'),
    expect: ['10s g1 raise:yellow', '70s g1 clear', '90s g1 raise:yellow'],
  },
  {
    name: 'without hysteresis the same values flap (the contrast case)',
    rules: [simple()],
    input: series(0, 10, [9.9, 10.1, 9.8, 10.2, 9.5], 'x'),
    expect: ['10s g1 raise:yellow', '20s g1 clear', '30s g1 raise:yellow', '40s g1 clear'],
  },
  {
    name: 'explicit clear thresholds hold a grade until the value passes them',
    rules: [simple({ clearThresholds: { yellow: 8, red: 15 } })],
    input: series(0, 10, [21, 16, 14, 9, 7.9], 'x'),
    expect: ['0s g1 raise:red', '20s g1 raise:yellow', '40s g1 clear'],
  },
  {
    name: 'hold: raised only once above for 60 s by reading timestamps',
    rules: [simple({ holdSec: 60 })],
    input: series(0, 20, [11, 11, 11, 11], 'x'),
    expect: ['60s g1 raise:yellow'],
  },
  {
    name: 'hold: a dip below restarts the clock',
    rules: [simple({ holdSec: 60 })],
    input: series(0, 20, [11, 11, 9, 11, 11, 11, 11], 'x'),
    expect: ['120s g1 raise:yellow'],
  },
  {
    name: 'hold applies per grade: an upgrade to red waits for red to hold',
    rules: [simple({ holdSec: 60 })],
    input: series(0, 30, [11, 11, 25, 25, 25, 9], 'x'),
    expect: ['60s g1 raise:yellow', '120s g1 raise:red', '150s g1 clear'],
  },
  {
    name: 'count: raised on the third reading in a row',
    rules: [simple({ count: 3 })],
    input: series(0, 10, [11, 11, 9, 11, 11, 11, 11], 'x'),
    expect: ['50s g1 raise:yellow'],
  },
  {
    name: 'readings with quality other than N/S/T are skipped without breaking a streak',
    rules: [simple({ count: 2 })],
    input: [
      { t: 0, m: { x: 11 } },
      { t: 10, m: { x: [5, 'D'] } },
      { t: 20, m: { x: [11, 'S'] } },
      { t: 30, m: { x: [50, 'M'] } },
    ],
    expect: ['20s g1 raise:yellow'],
  },
  {
    name: 'clearCount: de-escalates only after three normal readings in a row',
    rules: [simple({ clearCount: 3 })],
    input: series(0, 10, [11, 5, 5, 11, 5, 5, 5], 'x'),
    expect: ['0s g1 raise:yellow', '60s g1 clear'],
  },
  {
    name: 'clearHoldSec: de-escalates only after 120 s below',
    rules: [simple({ clearHoldSec: 120 })],
    input: series(0, 60, [11, 5, 5, 5], 'x'),
    expect: ['0s g1 raise:yellow', '180s g1 clear'],
  },
  {
    name: 'below, not inclusive: exactly at the minimum is fine, under it raises',
    rules: [simple({ direction: 'below', inclusive: false, thresholds: { yellow: 0.1, red: 0.02 } })],
    input: series(0, 10, [0.1, 0.09, 0.01, 0.5], 'x'),
    expect: ['10s g1 raise:yellow', '20s g1 raise:red', '30s g1 clear'],
  },
  {
    name: 'a filter on attributes keeps the rule off other devices',
    rules: [simple({ filter: { attributes: { zone: 'north' } } })],
    devices: [device('g1', 'river_gauge', { attributes: { zone: 'south' } }), device('g3', 'river_gauge', { attributes: { zone: 'north' } })],
    input: [
      { t: 0, m: { x: 11 } },
      { t: 0, dev: 'g3', m: { x: 11 } },
    ],
    expect: ['0s g3 raise:yellow'],
  },
  {
    name: 'late and repeated readings are skipped',
    rules: [simple()],
    input: [
      { t: 10, m: { x: 11 } },
      { t: 5, m: { x: 1 } },
      { t: 10, m: { x: 1 }, src: 'g1@10' },
      { t: 20, m: { x: 1 } },
    ],
    expect: ['10s g1 raise:yellow', '20s g1 clear'],
  },
  {
    name: 'metric minus metric, absolute: reefer supply air off its setpoint for 30 min',
    rules: [simple({ metric: 'sup', minus: 'set', abs: true, thresholds: { yellow: 3 }, holdSec: 1800 })],
    input: [0, 600, 1200, 1800, 2400].map((t) => ({ t, m: { sup: -22, set: -18 } })),
    expect: ['1800s g1 raise:yellow'],
  },
  {
    name: 'suppressed while defrosting and for 10 min after: the hold starts again afterwards',
    rules: [simple({ metric: 'sup', minus: 'set', abs: true, thresholds: { yellow: 3 }, holdSec: 1200, suppress: { state: 'defrost', in: [true], afterSec: 600 } })],
    input: [
      { t: 0, m: { sup: 0, set: -18 }, s: { defrost: true } },
      { t: 600, m: { sup: 0, set: -18 } },
      { t: 1200, m: { sup: 0, set: -18 }, s: { defrost: false } },
      { t: 1500, m: { sup: 0, set: -18 } },
      { t: 1800, m: { sup: 0, set: -18 } },
      { t: 2400, m: { sup: 0, set: -18 } },
      { t: 3000, m: { sup: 0, set: -18 } },
    ],
    expect: ['3000s g1 raise:yellow'],
  },
];

describe('threshold rules', () => {
  for (const c of cases) {
    it(c.name, () => {
      const engine = engineOf(c.rules);
      expect(run(engine, c.devices ?? [gauge], c.input).lines).toEqual(c.expect);
    });
    it(`${c.name} — same signals when the state goes through JSON after every reading`, () => {
      const engine = engineOf(c.rules);
      expect(run(engine, c.devices ?? [gauge], c.input, { roundTrip: true }).lines).toEqual(c.expect);
    });
  }

  it('signals carry the metric, value, threshold, category and a message', () => {
    const { signals } = run(engineOf([flood()]), [gauge], series(0, 60, [15.5], 'waterLevel'));
    expect(signals[0]).toMatchObject({ deviceId: 'g1', kind: 'river_gauge', ruleId: 'flood', state: 'raise', level: 'red', category: 'value', metric: 'waterLevel', value: 15.5, threshold: 15.2 });
    expect(signals[0]!.message).toContain('15.5 >= 15.2');
  });

  it('emits nothing on readings that do not change the level', () => {
    const { signals } = run(engineOf([flood()]), [gauge], series(0, 60, [15.5, 15.6, 15.7, 15.4], 'waterLevel'));
    expect(signals).toHaveLength(1);
  });
});
