import { describe, expect, it } from 'vitest';
import { device, engineOf, run } from './test-support';
import type { Table } from './test-support';

const smokeA = device('smokeA', 'fire_sensor', { site: 'B1' });
const heatB = device('heatB', 'fire_sensor', { site: 'B1' });
const heatOther = device('heatX', 'fire_sensor', { site: 'B2' });
const multi = device('multi', 'fire_sensor', { site: 'B1' });
const anemo = device('anemo', 'port_device', { site: 'Q1' });
const crane1 = device('c1', 'port_device', { site: 'Q1' });
const crane2 = device('c2', 'port_device', { site: 'Q1' });

const fire = (scope: 'site' | 'device') => ({
  id: 'fire',
  title: 'smoke and heat',
  source: 'test',
  kind: 'fire_sensor',
  type: 'composite',
  scope,
  windowSec: 60,
  level: 'red',
  all: [
    { any: [{ metric: 'smokeAlarm', op: 'gte', value: 1 }, { metric: 'smoke', op: 'gte', value: 4 }] },
    { metric: 'temperature', op: 'gte', value: 57 },
  ],
});

const crane = {
  id: 'crane-wind',
  title: 'crane operating in wind above its limit',
  source: 'test',
  kind: 'port_device',
  type: 'composite',
  scope: 'site',
  windowSec: 600,
  level: 'red',
  all: [
    { metric: 'windGust', op: 'gte', value: { attr: 'craneGustLimit', default: 20 } },
    { kind: 'port_device', state: 'craneState', in: ['operating'] },
  ],
  attributeTo: 1,
};

interface Case extends Table {
  rules: unknown[];
  devices: ReturnType<typeof device>[];
}

const cases: Case[] = [
  {
    name: 'device scope: smoke and heat on one detector within 60 s raise red',
    rules: [fire('device')],
    devices: [multi],
    input: [
      { t: 0, m: { smoke: 5, temperature: 30 } },
      { t: 30, m: { smoke: 5, temperature: 60 } },
    ],
    expect: ['30s multi raise:red'],
  },
  {
    name: 'device scope: smoke, then heat 90 s later, raises nothing',
    rules: [fire('device')],
    devices: [multi],
    input: [
      { t: 0, m: { smoke: 5, temperature: 30 } },
      { t: 90, m: { smoke: 0, temperature: 60 } },
    ],
    expect: [],
  },
  {
    name: 'site scope: a smoke alarm at one detector and heat at another of the same site within 60 s raise red',
    rules: [fire('site')],
    devices: [smokeA, heatB],
    input: [
      { t: 0, dev: 'smokeA', m: { smokeAlarm: 1 } },
      { t: 45, dev: 'heatB', m: { temperature: 70 } },
    ],
    expect: ['45s heatB raise:red'],
  },
  {
    name: 'site scope: outside the window nothing is raised',
    rules: [fire('site')],
    devices: [smokeA, heatB],
    input: [
      { t: 0, dev: 'smokeA', m: { smokeAlarm: 1 } },
      { t: 61, dev: 'heatB', m: { temperature: 70 } },
    ],
    expect: [],
  },
  {
    name: 'site scope: devices of different sites do not combine',
    rules: [fire('site')],
    devices: [smokeA, heatOther],
    input: [
      { t: 0, dev: 'smokeA', m: { smokeAlarm: 1 } },
      { t: 10, dev: 'heatX', m: { temperature: 70 } },
    ],
    expect: [],
  },
  {
    name: 'site scope: clears on tick once the window has passed with no new evidence, and raises once only meanwhile',
    rules: [fire('site')],
    devices: [smokeA, heatB],
    input: [
      { t: 0, dev: 'smokeA', m: { smokeAlarm: 1 } },
      { t: 10, dev: 'heatB', m: { temperature: 70 } },
      { t: 20, dev: 'smokeA', m: { smokeAlarm: 1 } },
      { tick: 50, dev: 'smokeA' },
      { tick: 100, dev: 'smokeA' },
    ],
    expect: ['10s heatB raise:red', '100s heatB clear'],
  },
  {
    name: 'crane: a gust over the limit raises red on each operating crane of the site, not on parked ones',
    rules: [crane],
    devices: [anemo, crane1, crane2],
    input: [
      { t: 0, dev: 'c1', s: { craneState: 'operating' } },
      { t: 0, dev: 'c2', s: { craneState: 'parked' } },
      { t: 60, dev: 'anemo', m: { windGust: 22 } },
      { t: 90, dev: 'c2', s: { craneState: 'operating' } },
      { t: 120, dev: 'c1', s: { craneState: 'parked' } },
      { tick: 700, dev: 'anemo' },
    ],
    expect: ['60s c1 raise:red', '90s c2 raise:red', '120s c1 clear', '700s c2 clear'],
  },
  {
    name: 'crane: gusts under the limit raise nothing',
    rules: [crane],
    devices: [anemo, crane1],
    input: [
      { t: 0, dev: 'c1', s: { craneState: 'operating' } },
      { t: 60, dev: 'anemo', m: { windGust: 19.9 } },
    ],
    expect: [],
  },
];

describe('composite rules', () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(run(engineOf(c.rules), c.devices, c.input).lines).toEqual(c.expect);
    });
    it(`${c.name} — same signals when the state goes through JSON after every step`, () => {
      expect(run(engineOf(c.rules), c.devices, c.input, { roundTrip: true }).lines).toEqual(c.expect);
    });
  }

  it('a site composite signal carries the kind and site of the device it is raised on', () => {
    const { signals } = run(engineOf([crane]), [anemo, crane1], [
      { t: 0, dev: 'c1', s: { craneState: 'operating' } },
      { t: 60, dev: 'anemo', m: { windGust: 25 } },
    ]);
    expect(signals).toEqual([expect.objectContaining({ deviceId: 'c1', kind: 'port_device', site: 'Q1', ruleId: 'crane-wind', state: 'raise', level: 'red', category: 'value' })]);
  });
});
