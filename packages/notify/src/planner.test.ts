import { describe, expect, it } from 'vitest';
import type { AlertChange } from '@ganzhi/schemas';
import { createReceiverDirectory } from './directory';
import { createNotifyPlanner, quietUntil, type GroupBuffer, type NotifyItem, type PlannerEffects, type RepeatEntry } from './planner';
import { compileRouting } from './router';
import { parseRoutingFile } from './routing';

const registry = {
  operator: () => undefined,
  operators: () => [{ id: 'op-field', secret: 'x', roles: ['operator' as const], receivers: [{ id: 'sms', type: 'webhook' as const, url: 'http://127.0.0.1:1/op' }] }],
  dutyGroup: () => undefined,
  dutyGroups: () => [{ id: 'river-duty', members: [], receivers: [{ id: 'chat', type: 'wecom' as const, url: 'http://127.0.0.1:1/w' }] }],
};

function setup(route: unknown, extra: Record<string, unknown> = {}) {
  const file = parseRoutingFile({ version: 1, receivers: [{ id: 'hook', type: 'webhook', url: 'http://127.0.0.1:1/h' }], route, ...extra });
  const directory = createReceiverDirectory(file, registry);
  const planner = createNotifyPlanner({ router: compileRouting(file), directory, utcOffset: file.utcOffset });
  const groups = new Map<string, GroupBuffer>();
  const repeats = new Map<string, RepeatEntry>();
  let silenced: ((i: NotifyItem, now: number) => boolean) | undefined;
  const view = { group: (k: string) => groups.get(k), groups: () => groups.values(), repeats: () => repeats.values(), silenced: (i: NotifyItem, now: number) => silenced?.(i, now) ?? false };
  const apply = (fx: PlannerEffects) => {
    for (const [k, v] of fx.groups) v ? groups.set(k, v) : groups.delete(k);
    for (const [k, v] of fx.repeats) v ? repeats.set(k, v) : repeats.delete(k);
    return fx.notifications.map((n) => `${n.receiver}: ${n.items.map((i) => `${i.deviceId}/${i.event}/${i.level}`).join(' + ')}`);
  };
  return {
    change: (c: AlertChange, now: number) => apply(planner.onChange(view, c, now)),
    tick: (now: number) => apply(planner.tick(view, now)),
    groups,
    repeats,
    silence: (fn: typeof silenced) => void (silenced = fn),
  };
}

let seq = 0;
const change = (over: Partial<AlertChange> & { type?: AlertChange['event']['type'] } = {}): AlertChange => {
  const { type = 'raised', ...rest } = over;
  return {
    alertId: `${rest.deviceId ?? 'g1'}:r:1`,
    seq: ++seq,
    deviceId: 'g1',
    kind: 'river_gauge',
    site: 'north',
    ruleId: 'r',
    level: 'orange',
    status: 'open',
    condition: 'active',
    openedAt: 0,
    event: { type, actor: 'system:alerts', at: 0 },
    ...rest,
  };
};

describe('the notify planner', () => {
  it('follows the first matching child, and the next ones after a `continue`', () => {
    const p = setup({
      groupWaitSec: 0,
      routes: [
        { match: { grade: ['red'] }, to: ['hook'], continue: true },
        { match: { minGrade: 'orange' }, to: ['group:river-duty'] },
        { to: ['operator:op-field'] },
      ],
    });
    expect(p.change(change({ level: 'red' }), 0)).toEqual(['hook: g1/raised/red', 'group:river-duty/chat: g1/raised/red']);
    expect(p.change(change({ level: 'orange' }), 0)).toEqual(['group:river-duty/chat: g1/raised/orange']);
    expect(p.change(change({ level: 'blue' }), 0)).toEqual(['operator:op-field/sms: g1/raised/blue']);
  });

  it('matches on site, rule and device (any of each list, all fields together)', () => {
    const p = setup({
      groupWaitSec: 0,
      routes: [
        { match: { site: ['south'], ruleId: ['r'] }, to: ['hook'] },
        { match: { deviceId: ['g7', 'g8'] }, to: ['group:river-duty'] },
        { match: { kind: ['fire_sensor'] }, to: ['operator:op-field'] },
      ],
    });
    expect(p.change(change({ site: 'south' }), 0)).toEqual(['hook: g1/raised/orange']);
    expect(p.change(change({ site: 'south', ruleId: 'other', deviceId: 'g8' }), 0)).toEqual(['group:river-duty/chat: g8/raised/orange']);
    expect(p.change(change({ site: undefined, deviceId: 'g7' }), 0)).toEqual(['group:river-duty/chat: g7/raised/orange']);
    expect(p.change(change({ kind: 'fire_sensor', deviceId: 'f1' }), 0)).toEqual(['operator:op-field/sms: f1/raised/orange']);
    expect(p.change(change({ site: 'north' }), 0)).toEqual([]); // no child matches and the root sends nowhere
  });

  it('notifies the later lifecycle events a route names: resolved and closed', () => {
    const p = setup({ groupWaitSec: 0, to: ['hook'], events: ['raised', 'upgraded', 'escalated', 'resolved', 'closed'] });
    const steps: [AlertChange['event']['type'], AlertChange['status'], AlertChange['level']][] = [
      ['raised', 'open', 'orange'],
      ['upgraded', 'open', 'red'],
      ['escalated', 'open', 'red'],
      ['acknowledged', 'acknowledged', 'red'],
      ['resolved', 'resolved', 'red'],
      ['cleared', 'resolved', 'red'],
      ['closed', 'closed', 'red'],
    ];
    const sent = steps.flatMap(([type, status, level]) => p.change(change({ type, status, level }), 0));
    expect(sent).toEqual(['hook: g1/raised/orange', 'hook: g1/upgraded/red', 'hook: g1/escalated/red', 'hook: g1/resolved/red', 'hook: g1/closed/red']);
  });

  it('notifies only the events a route names, and never a silenced or inhibited change', () => {
    const p = setup({ groupWaitSec: 0, to: ['hook'], events: ['raised'] });
    expect(p.change(change({ type: 'upgraded' }), 0)).toEqual([]);
    expect(p.change(change({ notify: false }), 0)).toEqual([]);
    expect(p.change(change(), 0)).toHaveLength(1);
  });

  it('sends a dispatch to the assignee’s own receivers, not the route’s', () => {
    const p = setup({ groupWaitSec: 0, to: ['hook'] });
    expect(p.change(change({ type: 'dispatched', status: 'dispatched', assignee: 'op-field' }), 0)).toEqual(['operator:op-field/sms: g1/dispatched/orange']);
    expect(p.change(change({ type: 'dispatched', status: 'dispatched', assignee: 'river-duty' }), 0)).toEqual(['group:river-duty/chat: g1/dispatched/orange']);
  });

  it('groups the changes of a site within the group wait into one message', () => {
    const p = setup({ groupWaitSec: 60, to: ['hook'] });
    expect(p.change(change({ deviceId: 'g1' }), 0)).toEqual([]);
    expect(p.change(change({ deviceId: 'g2' }), 30_000)).toEqual([]);
    expect(p.change(change({ deviceId: 'g3', site: 'south' }), 30_000)).toEqual([]);
    expect(p.tick(59_999)).toEqual([]);
    expect(p.tick(60_000)).toEqual(['hook: g1/raised/orange + g2/raised/orange']);
    expect(p.tick(90_000)).toEqual(['hook: g3/raised/orange']);
    expect(p.groups.size).toBe(0);
  });

  it('ignores a re-delivered change in a group', () => {
    const p = setup({ groupWaitSec: 60, to: ['hook'] });
    const c = change();
    p.change(c, 0);
    p.change(c, 1);
    expect(p.tick(60_000)).toEqual(['hook: g1/raised/orange']);
  });

  it('holds notifications in quiet hours until they end, except from the given grade', () => {
    // 22:00-07:00 at +08:00; 2026-07-14 23:00 local is 15:00 UTC
    const night = Date.UTC(2026, 6, 14, 15, 0);
    const morning = Date.UTC(2026, 6, 14, 23, 0); // 07:00 local the next day
    expect(quietUntil({ from: '22:00', to: '07:00' }, night, 480)).toBe(morning);
    expect(quietUntil({ from: '22:00', to: '07:00' }, morning, 480)).toBeUndefined();
    const p = setup({ groupWaitSec: 0, to: ['hook'], quietHours: { from: '22:00', to: '07:00', exceptFrom: 'red' } });
    expect(p.change(change({ level: 'orange' }), night)).toEqual([]);
    expect(p.change(change({ level: 'red', deviceId: 'g9' }), night)).toEqual(['hook: g9/raised/red']);
    expect(p.tick(morning - 1)).toEqual([]);
    expect(p.tick(morning)).toEqual(['hook: g1/raised/orange']);
  });

  it('repeats an alert still open every interval, and stops once it is resolved', () => {
    const p = setup({ groupWaitSec: 0, to: ['hook'], repeatIntervalMin: 30 });
    p.change(change(), 0);
    expect(p.tick(29 * 60_000)).toEqual([]);
    expect(p.tick(30 * 60_000)).toEqual(['hook: g1/repeat/orange']);
    expect(p.tick(45 * 60_000)).toEqual([]);
    expect(p.tick(60 * 60_000)).toEqual(['hook: g1/repeat/orange']);
    p.change(change({ type: 'resolved', status: 'resolved' }), 61 * 60_000);
    expect(p.tick(200 * 60_000)).toEqual([]);
  });

  it('holds repeats back while a silence covers the alert, and resumes them when it ends', () => {
    const p = setup({ groupWaitSec: 0, to: ['hook'], repeatIntervalMin: 30 });
    p.change(change(), 0);
    p.silence((i, now) => i.deviceId === 'g1' && now < 70 * 60_000);
    expect(p.tick(30 * 60_000)).toEqual([]);
    expect(p.tick(60 * 60_000)).toEqual([]);
    expect(p.tick(70 * 60_000)).toEqual(['hook: g1/repeat/orange']);
  });

  it('holds the repeats of a value alert back while its device has an active offline alert', () => {
    const p = setup({ groupWaitSec: 0, to: ['hook'], repeatIntervalMin: 30 });
    p.change(change(), 0);
    const offline = { alertId: 'g1:offline:1', ruleId: 'offline', category: 'offline' as const, level: 'yellow' as const };
    expect(p.change(change({ ...offline }), 10 * 60_000)).toEqual(['hook: g1/raised/yellow']);
    expect(p.tick(40 * 60_000)).toEqual(['hook: g1/repeat/yellow']); // the offline alert's own repeat, not the value alert's
    p.change(change({ ...offline, type: 'cleared', condition: 'cleared' }), 50 * 60_000);
    expect(p.tick(50 * 60_000)).toEqual(['hook: g1/repeat/orange']);
  });

  it('ends the repeats of a route the alert no longer takes after a grade change, and repeats the latest state', () => {
    const p = setup({
      groupWaitSec: 0,
      routes: [
        { match: { grade: ['orange'] }, to: ['hook'], repeatIntervalMin: 30 },
        { match: { grade: ['red'] }, to: ['group:river-duty'], repeatIntervalMin: 10 },
      ],
    });
    p.change(change({ level: 'orange' }), 0);
    expect(p.change(change({ type: 'upgraded', level: 'red' }), 5 * 60_000)).toEqual(['group:river-duty/chat: g1/upgraded/red']);
    expect([...p.repeats.values()].map((r) => r.routeId)).toEqual(['root.1']);
    p.change(change({ type: 'acknowledged', status: 'acknowledged', level: 'red' }), 6 * 60_000);
    expect(p.tick(15 * 60_000)).toEqual(['group:river-duty/chat: g1/repeat/red']);
    expect([...p.repeats.values()][0]!.item.status).toBe('acknowledged');
    expect(p.tick(31 * 60_000)).toEqual(['group:river-duty/chat: g1/repeat/red']); // nothing on the orange route
  });

  it('gives each (changes, receiver) one stable id: its idempotency key', () => {
    const file = parseRoutingFile({ version: 1, receivers: [{ id: 'hook', type: 'webhook', url: 'http://x' }], route: { groupWaitSec: 0, to: ['hook'] } });
    const make = () => createNotifyPlanner({ router: compileRouting(file), directory: createReceiverDirectory(file, registry), utcOffset: '+08:00' });
    const view = { group: () => undefined, groups: () => [], repeats: () => [] };
    const c = change();
    expect(make().onChange(view, c, 1).notifications[0]!.id).toBe(make().onChange(view, c, 999).notifications[0]!.id);
  });
});

describe('routing files', () => {
  it('name the bad field', () => {
    expect(() => parseRoutingFile({ version: 1, route: { to: ['nobody'] } }, 'r.json')).toThrow(/r\.json: route\.to\.0: no receiver "nobody"/);
    expect(() => parseRoutingFile({ version: 1, route: { routes: [{ match: { grade: ['purple'] } }] } })).toThrow(/route\.routes\.0\.match\.grade\.0/);
    const file = parseRoutingFile({ version: 1, route: { to: ['group:nope'] } });
    expect(() => createReceiverDirectory(file, registry)).toThrow(/GANZHI_ERR_NOTIFY_ROUTES|not in the registry/);
  });
});
