import { describe, expect, it } from 'vitest';
import { isGanzhiError } from '@ganzhi/schemas';
import { parseScenario } from './load';
import type { ScenarioInput } from './schema';

const valid: ScenarioInput = {
  name: 'x',
  title: 'x',
  seed: 1,
  start: '2026-07-01T00:00:00+08:00',
  duration: '6h',
  devices: [
    { id: 'gauge-001', kind: 'river_gauge', attributes: { warningLevel: 12.5 } },
    { id: 'air-001', kind: 'air_monitor' },
  ],
  events: [{ id: 'rain', type: 'rain', at: '1h', duration: '2h', peakMmPerHour: 20 }],
  expect: [{ device: 'gauge-001', rule: 'river-flood-level', grade: 'yellow', after: 'rain', within: '4h' }],
};

function problems(doc: unknown): string {
  try {
    parseScenario(doc, 'test.json');
  } catch (err) {
    expect(isGanzhiError(err, 'GANZHI_ERR_SIM_SCENARIO')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('parsed');
}

describe('scenario files', () => {
  it('parse durations and times into milliseconds, with defaults filled in', () => {
    const s = parseScenario(valid);
    expect(s.start).toBe(Date.UTC(2026, 5, 30, 16));
    expect(s.duration).toBe(6 * 3_600_000);
    expect(s.sweepEvery).toBe(60_000);
    expect(s.devices[0]!.format).toBe('json');
    expect(s.events[0]).toMatchObject({ at: 3_600_000, lag: 6 * 3_600_000 });
    expect(s.expect[0]!.within).toBe(4 * 3_600_000);
  });

  it.each<[string, (d: ScenarioInput) => unknown, RegExp]>([
    ['a malformed duration', (d) => ({ ...d, duration: '6 hours' }), /duration: "6 hours" is not a non-negative duration/],
    ['a start without a zone', (d) => ({ ...d, start: '2026-07-01T00:00:00' }), /start: must be an ISO 8601 date-time with a zone/],
    ['a duplicate device', (d) => ({ ...d, devices: [...d.devices, d.devices[0]] }), /devices\.2\.id: duplicate device "gauge-001"/],
    ['an event for an unknown device', (d) => ({ ...d, events: [{ type: 'stuck', at: '1h', duration: '1h', devices: ['gauge-009'] }] }), /events\.0\.devices\.0: no device "gauge-009"/],
    ['a world event for the wrong kind', (d) => ({ ...d, events: [{ type: 'haze', at: '1h', pm25: 200, devices: ['gauge-001'] }] }), /a haze event does not apply to river_gauge "gauge-001"/],
    ['an event after the end', (d) => ({ ...d, events: [{ type: 'spike', at: '7h', metric: 'waterLevel', value: 1 }] }), /events\.0\.at: is after the end of the scenario/],
    ['an expectation after an unknown event', (d) => ({ ...d, expect: [{ device: 'gauge-001', rule: 'r', grade: 'red', after: 'flood', within: '1h' }] }), /expect\.0\.after: no event with id "flood"/],
    ['an unknown grade', (d) => ({ ...d, expect: [{ device: 'gauge-001', rule: 'r', grade: 'purple', within: '1h' }] }), /expect\.0\.grade/],
    ['HJ 212 on a gauge', (d) => ({ ...d, devices: [{ id: 'gauge-001', kind: 'river_gauge', format: 'hj212' }] }), /devices\.0\.format: hj212 is for air_monitor devices/],
    ['an unknown event type', (d) => ({ ...d, events: [{ type: 'earthquake', at: '1h' }] }), /events\.0\.type/],
  ])('refuse %s, naming the field', (_name, edit, pattern) => {
    expect(problems(edit(valid))).toMatch(pattern);
  });
});
