import { describe, expect, it } from 'vitest';
import { makeAlertId } from '@ganzhi/schemas';
import type { Signal } from '@ganzhi/schemas';
import { createAlertsCore } from './manager';
import { SilenceSchema, isSilenced } from './silence';
import type { Silence, SilenceTarget } from './silence';
import { MIN, T0, clear, cmd, raise, run } from './test-fixtures';
import type { Step } from './test-fixtures';

const core = createAlertsCore();
const A = makeAlertId('rg-001', 'water-level', T0);

function silence(match: Silence['match'], startsAt = T0, endsAt = T0 + 60 * MIN, id = 'mw-1'): Silence {
  return SilenceSchema.parse({ id, match, startsAt, endsAt, createdBy: 'op-li', createdAt: T0 - MIN, comment: 'gauge maintenance' });
}

const TARGET: SilenceTarget = { deviceId: 'rg-001', kind: 'river_gauge', site: 'north', ruleId: 'water-level' };

describe('silences (maintenance windows)', () => {
  it.each<[string, Silence['match'], boolean]>([
    ['the device', { deviceId: 'rg-001' }, true],
    ['another device', { deviceId: 'rg-002' }, false],
    ['the kind', { kind: 'river_gauge' }, true],
    ['another kind', { kind: 'fire_sensor' }, false],
    ['the site', { site: 'north' }, true],
    ['another site', { site: 'south' }, false],
    ['the site and rule', { site: 'north', ruleId: 'water-level' }, true],
    ['the site but another rule', { site: 'north', ruleId: 'rise-rate' }, false],
  ])('matching %s: %s', (_name, match, expected) => {
    expect(isSilenced(silence(match), TARGET, T0 + MIN)).toBe(expected);
  });

  it.each([
    [T0 - 1, false],
    [T0, true],
    [T0 + 60 * MIN - 1, true],
    [T0 + 60 * MIN, false],
  ])('covers [startsAt, endsAt): at %i it is %s', (at, expected) => {
    expect(isSilenced(silence({ deviceId: 'rg-001' }), TARGET, at)).toBe(expected);
  });

  it('refuses a silence that matches everything or ends before it starts', () => {
    const base = { id: 's', startsAt: T0, endsAt: T0 + 1, createdBy: 'op', createdAt: T0 };
    expect(SilenceSchema.safeParse({ ...base, match: {} }).success).toBe(false);
    expect(SilenceSchema.safeParse({ ...base, match: { site: 'n' }, endsAt: T0 }).success).toBe(false);
  });

  it('records a silenced alert but flags it not to notify, then notifies again once the silence expires', () => {
    const ctx = { silences: [silence({ site: 'north' })] };
    const { changes } = run(core, [raise('orange', T0 + MIN), raise('red', T0 + 2 * MIN), raise('orange', T0 + 61 * MIN)], ctx);
    expect(changes.map((c) => [c.event.type, c.notify, c.silencedBy])).toEqual([
      ['raised', false, ['mw-1']],
      ['upgraded', false, ['mw-1']],
      ['downgraded', true, undefined],
    ]);
  });

  it('holds back escalation during the silence and resumes it on schedule after', () => {
    const ctx = { silences: [silence({ deviceId: 'rg-001' }, T0, T0 + 12 * MIN)] };
    const steps: Step[] = [raise('red', T0), ...Array.from({ length: 31 }, (_, i) => ({ tick: T0 + i * MIN }))];
    const esc = run(core, steps, ctx).changes.filter((c) => c.event.type === 'escalated');
    expect(esc.map((c) => [(c.event.at - T0) / MIN, c.escalations, c.notify])).toEqual([
      [15, 1, true],
      [20, 2, true],
      [25, 3, true],
    ]);
  });

  it('still applies operator commands on a silenced alert, recorded as not notifying', () => {
    const ctx = { silences: [silence({ kind: 'river_gauge' })] };
    const { changes } = run(core, [raise('red', T0), cmd(A, 'acknowledge', T0 + MIN)], ctx);
    expect(changes.map((c) => [c.status, c.notify])).toEqual([
      ['open', false],
      ['acknowledged', false],
    ]);
  });
});

describe('inhibition by an offline alert', () => {
  const offline = (at: number, over: Partial<Signal> = {}): Signal =>
    raise('yellow', at, { ruleId: 'offline', category: 'offline', value: undefined, threshold: undefined, ...over });
  const back = (at: number): Signal => clear(at, { ruleId: 'offline' });

  it('suppresses the value alerts of a device while its offline alert is active, and not the offline alert itself', () => {
    const { changes } = run(core, [offline(T0), raise('red', T0 + MIN), back(T0 + 2 * MIN), raise('orange', T0 + 3 * MIN)]);
    expect(changes.map((c) => [c.ruleId, c.event.type, c.notify, c.inhibitedBy])).toEqual([
      ['offline', 'raised', true, undefined],
      ['water-level', 'raised', false, makeAlertId('rg-001', 'offline', T0)],
      ['offline', 'cleared', true, undefined],
      ['water-level', 'downgraded', true, undefined],
    ]);
    expect(changes[0]?.category).toBe('offline');
    expect(changes[1]?.category).toBe('value');
  });

  it('takes offline rules from config when the signal carries no category', () => {
    const byConfig = createAlertsCore({ inhibition: { offlineRuleIds: ['offline'] } });
    const { changes } = run(byConfig, [raise('yellow', T0, { ruleId: 'offline' }), raise('red', T0 + MIN)]);
    expect(changes.map((c) => c.notify)).toEqual([true, false]);
  });

  it('holds back the escalation of an inhibited alert while the device is offline, then resumes it', () => {
    const minute = (i: number): Step => ({ tick: T0 + i * MIN });
    const steps: Step[] = [
      raise('red', T0),
      offline(T0 + MIN, { level: 'red' }),
      ...Array.from({ length: 21 }, (_, i) => minute(i)),
      back(T0 + 20 * MIN),
      ...Array.from({ length: 20 }, (_, i) => minute(21 + i)),
    ];
    const esc = run(core, steps).changes.filter((c) => c.event.type === 'escalated');
    expect(esc.map((c) => [c.ruleId, (c.event.at - T0) / MIN])).toEqual([
      ['offline', 6],
      ['offline', 11],
      ['offline', 16],
      ['water-level', 25],
      ['water-level', 30],
      ['water-level', 35],
    ]);
  });

  it('spares the grades listed in exceptLevels, and does nothing when disabled', () => {
    const steps = [offline(T0), raise('red', T0 + MIN), raise('orange', T0 + 2 * MIN)];
    const spare = createAlertsCore({ inhibition: { exceptLevels: ['red'] } });
    expect(run(spare, steps).changes.map((c) => c.notify)).toEqual([true, true, false]);
    const off = createAlertsCore({ inhibition: { enabled: false } });
    expect(run(off, steps).changes.map((c) => c.notify)).toEqual([true, true, true]);
  });
});
