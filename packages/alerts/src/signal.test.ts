import { describe, expect, it } from 'vitest';
import { makeAlertId } from '@ganzhi/schemas';
import { createAlertsCore } from './manager';
import { MIN, T0, clear, cmd, only, raise, run } from './test-fixtures';

const core = createAlertsCore();

describe('signals: one alert per (device, rule), graded in place', () => {
  it.each([
    {
      name: 'a raise opens an alert at its grade',
      steps: [raise('yellow', T0)],
      events: ['raised'],
      final: { level: 'yellow', condition: 'active', status: 'open' },
    },
    {
      name: 'a higher grade upgrades in place, a lower grade downgrades, each recorded with fromLevel',
      steps: [raise('yellow', T0), raise('red', T0 + MIN), raise('orange', T0 + 2 * MIN)],
      events: ['raised', 'upgraded:yellow', 'downgraded:red'],
      final: { level: 'orange', condition: 'active', status: 'open' },
    },
    {
      name: 'repeated raises at the same grade change nothing',
      steps: [raise('orange', T0), raise('orange', T0 + MIN), raise('orange', T0 + 2 * MIN)],
      events: ['raised'],
      final: { level: 'orange', condition: 'active', status: 'open' },
    },
    {
      name: 'a clear marks the condition cleared; a second clear changes nothing',
      steps: [raise('orange', T0), clear(T0 + MIN), clear(T0 + 2 * MIN)],
      events: ['raised', 'cleared'],
      final: { level: 'orange', condition: 'cleared', status: 'open' },
    },
    {
      name: 'a raise after a clear reactivates the same alert (fromLevel when the grade differs)',
      steps: [raise('orange', T0), clear(T0 + MIN), raise('red', T0 + 2 * MIN)],
      events: ['raised', 'cleared', 'reactivated:orange'],
      final: { level: 'red', condition: 'active', status: 'open' },
    },
    {
      name: 'a clear with no alert changes nothing',
      steps: [clear(T0)],
      events: [],
      final: undefined,
    },
  ])('$name', ({ steps, events, final }) => {
    const { state, changes } = run(core, steps);
    expect(changes.map((c) => c.event.type + (c.event.fromLevel ? `:${c.event.fromLevel}` : ''))).toEqual(events);
    expect(new Set(changes.map((c) => c.alertId)).size).toBeLessThanOrEqual(1);
    expect(changes.map((c) => c.seq)).toEqual(changes.map((_, i) => i + 1));
    if (final) expect(only(state)).toMatchObject(final);
    else expect(state?.alerts).toEqual({});
  });

  it('keeps the alert id made from device, rule and the first raise time, and the latest reading', () => {
    const { state } = run(core, [raise('yellow', T0, { value: 4.1 }), raise('red', T0 + MIN, { value: 5.3 })]);
    expect(only(state)).toMatchObject({ alertId: makeAlertId('rg-001', 'water-level', T0), openedAt: T0, value: 5.3 });
  });

  it('gives each rule of a device its own alert', () => {
    const { state } = run(core, [raise('yellow', T0), raise('red', T0, { ruleId: 'rise-rate' })]);
    expect(Object.values(state?.alerts ?? {}).map((a) => [a.ruleId, a.level])).toEqual([
      ['water-level', 'yellow'],
      ['rise-rate', 'red'],
    ]);
  });

  it('records the rules engine as the actor and the signal time as the event time', () => {
    const { changes } = run(core, [raise('red', T0 + 7, { message: 'level 5.3 m above guaranteed 5.0 m' })]);
    expect(changes[0]?.event).toEqual({ type: 'raised', actor: 'system:rules', at: T0 + 7, reason: 'level 5.3 m above guaranteed 5.0 m' });
  });

  it('opens a new alert with a new id for a raise after the alert closed', () => {
    const a = makeAlertId('rg-001', 'water-level', T0);
    const { state, changes } = run(core, [
      raise('red', T0),
      cmd(a, 'acknowledge', T0 + MIN),
      cmd(a, 'resolve', T0 + 2 * MIN, { note: 'pumps on' }),
      clear(T0 + 3 * MIN),
      cmd(a, 'close', T0 + 4 * MIN),
      raise('yellow', T0 + 5 * MIN),
    ]);
    expect(changes.at(-2)).toMatchObject({ alertId: a, status: 'closed' });
    expect(only(state)).toMatchObject({ alertId: makeAlertId('rg-001', 'water-level', T0 + 5 * MIN), seq: 1, level: 'yellow' });
  });

  it('ignores a raise without a grade', () => {
    const out = core.onSignal(undefined, raise('red', T0, { level: undefined }));
    expect(out).toMatchObject({ changes: [], ignored: 'invalid' });
  });
});

describe('signals: re-delivery (the bus is at-least-once)', () => {
  it('applies the same signal delivered twice only once', () => {
    const s = raise('red', T0);
    const first = core.onSignal(undefined, s);
    const again = core.onSignal(first.state, s);
    expect(first.changes).toHaveLength(1);
    expect(again).toMatchObject({ changes: [], ignored: 'duplicate', unchanged: true });
    expect(again.state).toBe(first.state);
  });

  it('drops a whole re-delivered batch applied on top of its own result, even its older grades', () => {
    const batch = [raise('yellow', T0), raise('red', T0 + MIN), raise('orange', T0 + 2 * MIN), clear(T0 + 3 * MIN)];
    const once = run(core, batch);
    const twice = run(core, batch, {}, once.state);
    expect(twice.changes).toEqual([]);
    expect(twice.state).toEqual(once.state);
  });

  it('does not reopen a closed alert when its old raise is re-delivered', () => {
    const a = makeAlertId('rg-001', 'water-level', T0);
    const r = raise('red', T0);
    const { state } = run(core, [
      r,
      cmd(a, 'acknowledge', T0 + MIN),
      cmd(a, 'resolve', T0 + 2 * MIN, { note: 'ok' }),
      clear(T0 + 3 * MIN),
      cmd(a, 'close', T0 + 4 * MIN),
    ]);
    expect(core.onSignal(state, r)).toMatchObject({ changes: [], ignored: 'duplicate' });
  });

  it('gives the same changes, hashes included, when the same inputs are processed again from the same state', () => {
    const steps = [raise('yellow', T0), raise('red', T0 + MIN), clear(T0 + 2 * MIN)];
    expect(run(core, steps).changes).toEqual(run(core, steps).changes);
  });

  it('forgets the oldest inputs beyond dedupMemory, keeping the state bounded', () => {
    const small = createAlertsCore({ dedupMemory: 4 });
    const steps = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? raise('red', T0 + i) : clear(T0 + i)));
    const { state } = run(small, steps);
    expect(state?.seen).toHaveLength(4);
  });
});
