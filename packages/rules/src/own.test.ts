import { describe, expect, it } from 'vitest';
import { device, engineOf, run } from './test-support';

/** Names that come from devices or the bus are looked up as own properties only. */
const PROTO = ['toString', 'constructor', '__proto__', 'valueOf', 'hasOwnProperty'];

const crane = {
  id: 'crane-wind',
  title: 'crane operating in wind',
  source: 'test',
  kind: 'port_device',
  type: 'composite',
  scope: 'site',
  windowSec: 600,
  level: 'red',
  attributeTo: 1,
  all: [
    { metric: 'windGust', op: 'gte', value: 20 },
    { kind: 'port_device', state: 'craneState', in: ['operating'] },
  ],
};

describe('device-supplied names in the rule engine', () => {
  it.each(PROTO)('raises and clears a site composite on a crane whose id is %s', (id) => {
    const anemo = device('anemo', 'port_device', { site: 'Q1' });
    const c = device(id, 'port_device', { site: 'Q1' });
    const { lines } = run(engineOf([crane]), [anemo, c], [
      { t: 0, dev: id, s: { craneState: 'operating' } },
      { t: 10, dev: 'anemo', m: { windGust: 25 } },
      { t: 20, dev: id, s: { craneState: 'parked' } },
    ]);
    expect(lines).toEqual([`10s ${id} raise:red`, `20s ${id} clear`]);
  });

  it.each(PROTO)('does not take a missing metric or state %s from Object.prototype', (name) => {
    const rule = { id: 't', title: 't', source: 'test', kind: 'fire_sensor', type: 'threshold', metric: name, direction: 'above', thresholds: { red: 1 } };
    const sup = { id: 's', title: 's', source: 'test', kind: 'fire_sensor', type: 'threshold', metric: 'temperature', direction: 'above', thresholds: { red: 50 }, suppress: { state: name, in: [true] } };
    const d = device('f1', 'fire_sensor');
    expect(run(engineOf([rule, sup]), [d], [{ t: 0, m: { temperature: 60 } }]).lines).toEqual(['0s f1 raise:red']);
  });
});
