import { describe, expect, it } from 'vitest';
import { makeAlertId } from '@ganzhi/schemas';
import type { Level } from '@ganzhi/schemas';
import { AlertsConfigSchema } from './config';
import { createAlertsCore } from './manager';
import { nextDue } from './state';
import { MIN, T0, clear, cmd, only, raise, run } from './test-fixtures';
import type { Step } from './test-fixtures';

const core = createAlertsCore(); // red 5 min, orange 15, yellow 60, blue off; max 3
const A = makeAlertId('rg-001', 'water-level', T0);

/** Ticks every minute from T0 to T0 + minutes (a fake clock driving the sweep). */
function ticks(minutes: number): Step[] {
  return Array.from({ length: minutes + 1 }, (_, i) => ({ tick: T0 + i * MIN }));
}

function escalations(steps: Step[], c = core): number[] {
  return run(c, steps)
    .changes.filter((ch) => ch.event.type === 'escalated')
    .map((ch) => (ch.event.at - T0) / MIN);
}

describe('escalation of unacknowledged alerts', () => {
  it('defaults to red 5 min, orange 15, yellow 60, blue off, at most 3 times', () => {
    expect(AlertsConfigSchema.parse({}).escalation).toEqual({
      afterMs: { red: 5 * MIN, orange: 15 * MIN, yellow: 60 * MIN, blue: 0 },
      max: 3,
      whileCleared: false,
    });
  });

  it('fires when the grade time has run out, not a tick before', () => {
    const { state } = run(core, [raise('red', T0)]);
    expect(nextDue(state)).toBe(T0 + 5 * MIN);
    expect(core.tick(state, T0 + 5 * MIN - 1)).toMatchObject({ changes: [], unchanged: true });
    const out = core.tick(state, T0 + 5 * MIN);
    expect(out.changes).toHaveLength(1);
    expect(out.changes[0]).toMatchObject({
      alertId: A,
      status: 'open',
      escalations: 1,
      notify: true,
      event: { type: 'escalated', actor: 'system:alerts', at: T0 + 5 * MIN },
    });
  });

  it.each<[Level, number[]]>([
    ['red', [5, 10, 15]],
    ['orange', [15, 30, 45]],
    ['yellow', [60, 120, 180]],
    ['blue', []],
  ])('repeats a %s alert every period until the maximum: at minutes %j', (level, at) => {
    expect(escalations([raise(level, T0), ...ticks(240)])).toEqual(at);
    const { state } = run(core, [raise(level, T0), ...ticks(240)]);
    expect(only(state).escalations).toBe(at.length);
    expect(state?.timers).toEqual({});
  });

  it('stops once the alert is acknowledged', () => {
    expect(escalations([raise('red', T0), ...ticks(7), cmd(A, 'acknowledge', T0 + 7 * MIN), ...ticks(60)])).toEqual([5]);
  });

  it('stops once the alert is dispatched straight from open', () => {
    const dispatch = cmd(A, 'dispatch', T0 + 2 * MIN, { assignee: 'team-1' });
    expect(escalations([raise('red', T0), dispatch, ...ticks(60)])).toEqual([]);
  });

  it('is brought forward, never postponed, by an upgrade', () => {
    // yellow would escalate at 60; upgraded to red at 10 -> 15, 20, 25
    expect(escalations([raise('yellow', T0), raise('red', T0 + 10 * MIN), ...ticks(120)])).toEqual([15, 20, 25]);
    // red due at 5; downgraded to orange at 1 -> still 5, then every 15 (orange)
    expect(escalations([raise('red', T0), raise('orange', T0 + MIN), ...ticks(40)])).toEqual([5, 20, 35]);
  });

  it('pauses while the condition has cleared and resumes a full period after it comes back, the count going on', () => {
    const steps = [raise('red', T0), ...ticks(6), clear(T0 + 6 * MIN), ...ticks(30), raise('red', T0 + 30 * MIN), ...ticks(60)];
    expect(escalations(steps)).toEqual([5, 35, 40]);
    expect(only(run(core, steps).state).escalations).toBe(3);
  });

  it('keeps escalating a cleared alert when whileCleared is set', () => {
    const keep = createAlertsCore({ escalation: { whileCleared: true } });
    expect(escalations([raise('red', T0), clear(T0 + MIN), ...ticks(20)], keep)).toEqual([5, 10, 15]);
  });

  it('dates each escalation at its due time, so a late or repeated tick gives the same change', () => {
    const { state } = run(core, [raise('red', T0)]);
    const late = core.tick(state, T0 + 7 * MIN);
    const later = core.tick(state, T0 + 9 * MIN);
    expect(late.changes).toEqual(later.changes);
    expect(late.changes[0]?.event.at).toBe(T0 + 5 * MIN);
  });

  it('catches up after an outage one escalation per tick, still bounded', () => {
    const { state, changes } = run(core, [raise('red', T0), ...Array.from({ length: 5 }, () => ({ tick: T0 + 60 * MIN }))]);
    expect(changes.filter((c) => c.event.type === 'escalated').map((c) => c.escalations)).toEqual([1, 2, 3]);
    expect(only(state).escalations).toBe(3);
  });

  it('restarts the count when a resolved alert reopens', () => {
    const steps = [
      raise('red', T0),
      ...ticks(6),
      cmd(A, 'acknowledge', T0 + 6 * MIN),
      cmd(A, 'resolve', T0 + 7 * MIN, { note: 'reset breaker' }),
      clear(T0 + 8 * MIN),
      raise('red', T0 + 10 * MIN),
      ...ticks(30),
    ];
    const { changes } = run(core, steps);
    expect(changes.filter((c) => c.event.type === 'escalated').map((c) => [(c.event.at - T0) / MIN, c.escalations])).toEqual([
      [5, 1],
      [15, 1],
      [20, 2],
      [25, 3],
    ]);
  });

  it('drops a pending escalation when the configuration no longer escalates that grade', () => {
    const { state } = run(core, [raise('red', T0)]);
    const off = createAlertsCore({ escalation: { afterMs: { red: 0 } } });
    const out = off.tick(state, T0 + 10 * MIN);
    expect(out.changes).toEqual([]);
    expect(out.state.timers).toEqual({});
  });
});
