import { describe, expect, it } from 'vitest';
import { AlertChangeSchema, makeAlertId } from '@ganzhi/schemas';
import type { AlertChange } from '@ganzhi/schemas';
import { canonicalJson, hashChange, verifyChain } from './chain';
import { createAlertsCore } from './manager';
import { MIN, T0, clear, cmd, raise, run } from './test-fixtures';

const core = createAlertsCore();
const A = makeAlertId('rg-001', 'water-level', T0);
const B = makeAlertId('rg-001', 'rise-rate', T0 + MIN);

/** A real history of one device, two alerts interleaved, in log order (15 changes). */
function history(): AlertChange[] {
  return run(core, [
    raise('yellow', T0),
    raise('orange', T0 + MIN, { ruleId: 'rise-rate' }),
    raise('red', T0 + 2 * MIN),
    { tick: T0 + 7 * MIN },
    cmd(A, 'acknowledge', T0 + 8 * MIN, { actor: 'op-li' }),
    cmd(A, 'dispatch', T0 + 9 * MIN, { actor: 'op-li', assignee: 'pump-team-2' }),
    { tick: T0 + 16 * MIN },
    cmd(B, 'acknowledge', T0 + 17 * MIN, { actor: 'op-wang' }),
    cmd(A, 'resolve', T0 + 30 * MIN, { actor: 'op-wang', note: 'pumps on' }),
    clear(T0 + 40 * MIN),
    cmd(A, 'close', T0 + 41 * MIN, { actor: 'sup-zhao' }),
    clear(T0 + 42 * MIN, { ruleId: 'rise-rate' }),
    cmd(B, 'resolve', T0 + 43 * MIN, { actor: 'op-wang', note: 'rain stopped' }),
    cmd(B, 'close', T0 + 44 * MIN, { actor: 'op-wang' }),
    raise('blue', T0 + 50 * MIN),
  ]).changes;
}

const at = (h: AlertChange[], alertId: string, seq: number) => h.findIndex((c) => c.alertId === alertId && c.seq === seq);
const without = (h: AlertChange[], i: number) => h.filter((_, j) => j !== i);

describe('audit chain', () => {
  it('links every change of an alert and of the device, and each change is a valid ganzhi.alerts.v1 record', () => {
    const h = history();
    expect(h).toHaveLength(15);
    expect(h.map((c) => c.deviceSeq)).toEqual(h.map((_, i) => i + 1));
    expect(h[0]).not.toHaveProperty('prevHash');
    for (const c of h) {
      expect(AlertChangeSchema.parse(c)).toEqual(c);
      expect(c.hash).toBe(hashChange(c));
    }
    const a = h.filter((c) => c.alertId === A);
    expect(a.slice(1).map((c) => c.prevHash)).toEqual(a.slice(0, -1).map((c) => c.hash));
  });

  it('verifies a real history, per alert and per device', () => {
    expect(verifyChain(history())).toEqual({ ok: true, count: 15 });
    expect(verifyChain(history(), { device: true })).toEqual({ ok: true, count: 15 });
  });

  it('verifies one alert on its own, and skips exact re-deliveries', () => {
    const h = history();
    expect(verifyChain(h.filter((c) => c.alertId === B))).toMatchObject({ ok: true });
    expect(verifyChain([...h, ...h.slice(3, 8)], { device: true })).toEqual({ ok: true, count: 15 });
  });

  it.each<[string, (c: AlertChange) => AlertChange]>([
    ['the grade', (c) => ({ ...c, level: 'blue' })],
    ['the actor', (c) => ({ ...c, event: { ...c.event, actor: 'op-nobody' } })],
    ['the time', (c) => ({ ...c, event: { ...c.event, at: c.event.at + 1 } })],
    ['the assignee', (c) => ({ ...c, assignee: 'someone-else' })],
    ['the notify flag', (c) => ({ ...c, notify: false })],
  ])('catches an edited field: %s', (_name, edit) => {
    const h = history();
    const i = at(h, A, 4);
    h[i] = edit(h[i] as AlertChange);
    expect(verifyChain(h)).toMatchObject({ ok: false, alertId: A, seq: 4, problem: 'hash-mismatch' });
  });

  it('catches an edit whose hash was recomputed, at the next link', () => {
    const h = history();
    const i = at(h, A, 4);
    const forged = { ...(h[i] as AlertChange), assignee: 'someone-else' };
    forged.hash = hashChange(forged);
    h[i] = forged;
    expect(verifyChain(h)).toMatchObject({ ok: false, alertId: A, seq: 5, problem: 'broken-link' });
  });

  it('catches a removed event in the middle and at the start', () => {
    const h = history();
    expect(verifyChain(without(h, at(h, A, 3)))).toMatchObject({ ok: false, alertId: A, seq: 4, problem: 'seq-gap' });
    expect(verifyChain(without(h, at(h, B, 1)))).toMatchObject({ ok: false, alertId: B, seq: 2, problem: 'missing-start' });
  });

  it('catches a swapped pair', () => {
    const h = history();
    const i = at(h, A, 4);
    const j = at(h, A, 5);
    [h[i], h[j]] = [h[j] as AlertChange, h[i] as AlertChange];
    expect(verifyChain(h)).toMatchObject({ ok: false, alertId: A, seq: 5, problem: 'out-of-order' });
  });

  it('catches the removal of an alert’s last event, or of a whole alert, with the device chain', () => {
    const h = history();
    const lastOfA = without(h, at(h, A, 8));
    expect(verifyChain(lastOfA)).toMatchObject({ ok: true }); // the alert chain alone cannot tell
    expect(verifyChain(lastOfA, { device: true })).toMatchObject({ ok: false, chain: 'device', problem: 'seq-gap' });
    const noB = h.filter((c) => c.alertId !== B);
    expect(verifyChain(noB)).toMatchObject({ ok: true });
    expect(verifyChain(noB, { device: true })).toMatchObject({ ok: false, chain: 'device', problem: 'seq-gap' });
  });

  it('catches two different changes claiming the same place', () => {
    const h = history();
    const other = { ...(h[at(h, A, 2)] as AlertChange), message: 'x' };
    other.hash = hashChange(other);
    expect(verifyChain([...h, other])).toMatchObject({ ok: false, alertId: A, seq: 2, problem: 'conflict' });
  });

  it('hashes a canonical JSON: keys sorted at every depth, undefined members left out', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe('{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
    const c = history()[0] as AlertChange;
    const reordered = Object.fromEntries(Object.entries(c).reverse()) as AlertChange;
    expect(hashChange(reordered)).toBe(c.hash);
  });
});
