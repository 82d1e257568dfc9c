import { describe, expect, it } from 'vitest';
import { makeAlertId } from '@ganzhi/schemas';
import type { AlertStatus, CommandAction, Condition } from '@ganzhi/schemas';
import { createAlertsCore } from './manager';
import { DeviceAlertsStateSchema } from './state';
import { MIN, T0, clear, cmd, only, raise, run } from './test-fixtures';
import type { Step } from './test-fixtures';
import { allowedActions } from './transitions';

const core = createAlertsCore();
const A = makeAlertId('rg-001', 'water-level', T0);

/** Steps that bring the alert to a workflow state (condition active). */
const TO: Record<Exclude<AlertStatus, 'closed'>, Step[]> = {
  open: [raise('red', T0)],
  acknowledged: [raise('red', T0), cmd(A, 'acknowledge', T0 + 1)],
  dispatched: [raise('red', T0), cmd(A, 'dispatch', T0 + 1, { assignee: 'team-3' })],
  resolved: [raise('red', T0), cmd(A, 'acknowledge', T0 + 1), cmd(A, 'resolve', T0 + 2, { note: 'done' })],
};

const FIELDS = { assignee: 'team-7', note: 'checked on site' };

describe('lifecycle: operator workflow', () => {
  it('runs raise, upgrade, acknowledge, dispatch, resolve, clear, close with every actor and time recorded', () => {
    const { state, changes } = run(core, [
      raise('orange', T0),
      raise('red', T0 + MIN),
      cmd(A, 'acknowledge', T0 + 2 * MIN, { actor: 'op-li', note: 'on it' }),
      cmd(A, 'dispatch', T0 + 3 * MIN, { actor: 'op-li', assignee: 'pump-team-2' }),
      cmd(A, 'resolve', T0 + 30 * MIN, { actor: 'op-wang', note: 'mobile pumps running, level falling' }),
      clear(T0 + 40 * MIN),
      cmd(A, 'close', T0 + 45 * MIN, { actor: 'sup-zhao' }),
    ]);
    expect(changes.map((c) => [c.event.type, c.status, c.condition, c.event.actor, c.event.at])).toEqual([
      ['raised', 'open', 'active', 'system:rules', T0],
      ['upgraded', 'open', 'active', 'system:rules', T0 + MIN],
      ['acknowledged', 'acknowledged', 'active', 'op-li', T0 + 2 * MIN],
      ['dispatched', 'dispatched', 'active', 'op-li', T0 + 3 * MIN],
      ['resolved', 'resolved', 'active', 'op-wang', T0 + 30 * MIN],
      ['cleared', 'resolved', 'cleared', 'system:rules', T0 + 40 * MIN],
      ['closed', 'closed', 'cleared', 'sup-zhao', T0 + 45 * MIN],
    ]);
    expect(changes[3]).toMatchObject({ assignee: 'pump-team-2', event: { reason: 'dispatched to pump-team-2' } });
    expect(changes[4]?.event.reason).toBe('mobile pumps running, level falling');
    expect(state?.alerts).toEqual({}); // closed alerts leave the state
  });

  it.each<[Exclude<AlertStatus, 'closed'>, CommandAction, AlertStatus | 'refused']>([
    ['open', 'acknowledge', 'acknowledged'],
    ['open', 'dispatch', 'dispatched'],
    ['open', 'resolve', 'refused'],
    ['open', 'close', 'refused'],
    ['acknowledged', 'acknowledge', 'refused'],
    ['acknowledged', 'dispatch', 'dispatched'],
    ['acknowledged', 'resolve', 'resolved'],
    ['acknowledged', 'close', 'refused'],
    ['dispatched', 'acknowledge', 'refused'],
    ['dispatched', 'dispatch', 'dispatched'],
    ['dispatched', 'resolve', 'resolved'],
    ['dispatched', 'close', 'refused'],
    ['resolved', 'acknowledge', 'refused'],
    ['resolved', 'dispatch', 'refused'],
    ['resolved', 'resolve', 'refused'],
    ['resolved', 'close', 'refused'], // condition still active
  ])('from %s, %s gives %s', (from, action, expected) => {
    const { state } = run(core, TO[from]);
    const out = core.onCommand(state, cmd(A, action, T0 + MIN, FIELDS));
    if (expected === 'refused') {
      expect(out.refused?.code).toBe('GANZHI_ERR_ALERT_TRANSITION');
      expect(out.changes).toEqual([]);
      expect(only(out.state)).toEqual(only(state));
    } else {
      expect(out.refused).toBeUndefined();
      expect(out.changes.map((c) => c.status)).toEqual([expected]);
    }
  });

  it('names the current state and what is allowed when it refuses', () => {
    const { state } = run(core, TO.open);
    const out = core.onCommand(state, cmd(A, 'resolve', T0 + MIN, { note: 'x' }));
    expect(out.refused?.reason).toContain('it is open');
    expect(out.refused?.reason).toContain('allowed from acknowledged or dispatched');
    expect(out.refused?.reason).toContain('allowed now: acknowledge, dispatch');
  });

  it('refuses to close while the condition is active, and closes once it has cleared', () => {
    const { state } = run(core, TO.resolved);
    const refused = core.onCommand(state, cmd(A, 'close', T0 + MIN));
    expect(refused.refused).toMatchObject({ code: 'GANZHI_ERR_ALERT_TRANSITION' });
    expect(refused.refused?.reason).toContain('condition is still active');
    const cleared = core.onSignal(refused.state, clear(T0 + 2 * MIN));
    const closed = core.onCommand(cleared.state, cmd(A, 'close', T0 + 3 * MIN, { id: 'close-2' }));
    expect(closed.changes.map((c) => c.status)).toEqual(['closed']);
  });

  it.each([
    ['dispatch', {}, 'needs an assignee'],
    ['dispatch', { assignee: '  ' }, 'needs an assignee'],
    ['resolve', {}, 'needs a note'],
  ] as const)('refuses %s without its required field %j', (action, over, reason) => {
    const { state } = run(core, TO.acknowledged);
    const out = core.onCommand(state, cmd(A, action, T0 + MIN, over));
    expect(out.refused?.code).toBe('GANZHI_ERR_ALERT_TRANSITION');
    expect(out.refused?.reason).toContain(reason);
  });

  it('answers an unknown or closed alert with GANZHI_ERR_ALERT_NOT_FOUND', () => {
    const { state } = run(core, TO.open);
    const out = core.onCommand(state, cmd('rg-001:water-level:zzz', 'acknowledge', T0 + MIN));
    expect(out.refused?.code).toBe('GANZHI_ERR_ALERT_NOT_FOUND');
    expect(core.onCommand(undefined, cmd(A, 'acknowledge', T0)).refused?.code).toBe('GANZHI_ERR_ALERT_NOT_FOUND');
  });

  it('applies a re-delivered command once and does not refuse it the second time', () => {
    const { state } = run(core, TO.open);
    const ack = cmd(A, 'acknowledge', T0 + MIN);
    const first = core.onCommand(state, ack);
    const again = core.onCommand(first.state, ack);
    expect(first.changes).toHaveLength(1);
    expect(again).toMatchObject({ changes: [], ignored: 'duplicate' });
    expect(again.refused).toBeUndefined();
  });

  it('records a reassignment of a dispatched alert', () => {
    const { changes } = run(core, [...TO.dispatched, cmd(A, 'dispatch', T0 + MIN, { assignee: 'team-9' })]);
    expect(changes.at(-1)).toMatchObject({ assignee: 'team-9', event: { reason: 'reassigned from team-3 to team-9' } });
  });

  const resolvedOrange: Step[] = [raise('orange', T0), cmd(A, 'acknowledge', T0 + 1), cmd(A, 'resolve', T0 + 2, { note: 'ok' })];
  it.each<[string, Step[], string]>([
    ['an upgrade', [...resolvedOrange, raise('red', T0 + MIN)], 'upgraded'],
    ['a reactivation', [...resolvedOrange, clear(T0 + MIN), raise('orange', T0 + 2 * MIN)], 'reactivated'],
  ])('reopens a resolved alert on %s (the fix did not hold)', (_name, steps, type) => {
    const { state, changes } = run(core, steps);
    expect(changes.at(-1)?.event.type).toBe(type);
    expect(only(state)).toMatchObject({ alertId: A, status: 'open', condition: 'active', escalations: 0 });
  });

  it('keeps a resolved alert resolved when its grade goes down', () => {
    const { state } = run(core, [...resolvedOrange, raise('blue', T0 + MIN)]);
    expect(only(state)).toMatchObject({ status: 'resolved', level: 'blue' });
  });

  it.each<[AlertStatus, Condition, CommandAction[]]>([
    ['open', 'active', ['acknowledge', 'dispatch']],
    ['acknowledged', 'cleared', ['dispatch', 'resolve']],
    ['dispatched', 'active', ['dispatch', 'resolve']],
    ['resolved', 'active', []],
    ['resolved', 'cleared', ['close']],
  ])('lists the actions allowed from %s with the condition %s', (status, condition, actions) => {
    expect(allowedActions({ status, condition })).toEqual(actions);
  });
});

describe('lifecycle: auto-close', () => {
  const steps: Step[] = [...TO.resolved, clear(T0 + 10 * MIN)];

  it('leaves a resolved, cleared alert for an operator to close by default', () => {
    expect(only(run(core, steps).state)).toMatchObject({ status: 'resolved', condition: 'cleared' });
  });

  it('closes it at once when enabled without grace, as the system', () => {
    const auto = createAlertsCore({ autoClose: { enabled: true } });
    const { state, changes } = run(auto, steps);
    expect(changes.at(-1)).toMatchObject({ status: 'closed', event: { type: 'closed', actor: 'system:alerts', at: T0 + 10 * MIN } });
    expect(state?.alerts).toEqual({});
  });

  it('closes it when resolved after the condition cleared too', () => {
    const auto = createAlertsCore({ autoClose: { enabled: true } });
    const { changes } = run(auto, [raise('red', T0), cmd(A, 'acknowledge', T0 + 1), clear(T0 + 2), cmd(A, 'resolve', T0 + 3, { note: 'n' })]);
    expect(changes.slice(-2).map((c) => c.event.type)).toEqual(['resolved', 'closed']);
  });

  it('waits out the grace period on tick, and a raise within it reopens the same alert instead', () => {
    const auto = createAlertsCore({ autoClose: { enabled: true, afterMs: 30 * MIN } });
    const closed = run(auto, [...steps, { tick: T0 + 39 * MIN }, { tick: T0 + 40 * MIN }]);
    expect(closed.changes.at(-1)).toMatchObject({ status: 'closed', event: { at: T0 + 40 * MIN } });
    const reopened = run(auto, [...steps, raise('red', T0 + 20 * MIN), { tick: T0 + 40 * MIN }]);
    expect(only(reopened.state)).toMatchObject({ alertId: A, status: 'open', condition: 'active' });
  });
});

describe('lifecycle: state', () => {
  it('survives a JSON round trip validated by DeviceAlertsStateSchema and continues the same', () => {
    const { state } = run(core, [raise('red', T0), cmd(A, 'acknowledge', T0 + 1)]);
    const restored = DeviceAlertsStateSchema.parse(JSON.parse(JSON.stringify(state)));
    const next = cmd(A, 'dispatch', T0 + 2, { assignee: 't' });
    expect(core.onCommand(restored, next)).toEqual(core.onCommand(state, next));
  });

  it('refuses a bad configuration naming the field', () => {
    expect(() => createAlertsCore({ escalation: { afterMs: { red: -1 } } })).toThrowError(/alerts\.escalation\.afterMs\.red/);
  });
});
