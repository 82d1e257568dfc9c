import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_ROUTES, ROLES, allows, type Role } from '@ganzhi/registry';
import { followRefusals } from './helpers/audit';
import { collect, connect, end, publish, subscribe } from './helpers/mqtt';
import { eventually, startPipeline, type RunningPipeline } from './helpers/pipeline';

/**
 * Every role allowed and refused, on MQTT (subscriptions and commands) and on every HTTP route,
 * with each refusal recorded on ganzhi.audit.v1 with who tried it. The demo registry has one
 * operator per role: op-carol (viewer), op-alice (operator), op-bob (supervisor), op-admin (admin).
 */
const USERS: Record<Role, string> = { viewer: 'op-carol', operator: 'op-alice', supervisor: 'op-bob', admin: 'op-admin' };

let p: RunningPipeline;
let refusals: Awaited<ReturnType<typeof followRefusals>>;
let alertId: string;

beforeAll(async () => {
  p = await startPipeline();
  refusals = await followRefusals(p.bus);
  const gauge = await connect(p.mqttUrl, 'gauge-001');
  await publish(gauge, 'devices/gauge-001/telemetry', JSON.stringify({ waterLevel: 15.5 }));
  await end(gauge);
  alertId = (await eventually(async () => (await p.store.alertHistory({ deviceId: 'gauge-001' }))[0])).alertId;
});
afterAll(async () => {
  await refusals?.close();
  await p?.stop();
});

const auth = (user: string) => `Basic ${Buffer.from(`${user}:demo-${user}`).toString('base64')}`;

async function http(method: string, path: string, user: string, body?: unknown) {
  const res = await fetch(`${p.httpUrl}${path}`, {
    method,
    headers: { authorization: auth(user), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('roles on MQTT', () => {
  it.each(ROLES.map((role) => [role]))('%s: subscriptions to alerts, escalations, own replies and device taps', async (role) => {
    const user = USERS[role];
    const c = await connect(p.mqttUrl, user);
    try {
      expect(await subscribe(c, 'alerts/#')).toBe(1);
      expect(await subscribe(c, 'escalations/#')).toBe(1);
      expect(await subscribe(c, `ops/${user}/replies`)).toBe(1);
      expect(await subscribe(c, 'devices/#')).toBe(role === 'admin' ? 1 : 0x80);
    } finally {
      await end(c);
    }
    if (role !== 'admin') {
      const r = await eventually(() => refusals.all.find((x) => x.actor === user && x.action === 'mqtt.subscribe' && x.target === 'devices/#'));
      expect(r.code).toBe('GANZHI_ERR_GW_FORBIDDEN_SUBSCRIBE');
    }
  });

  it.each(ROLES.map((role) => [role]))('%s: commands acknowledge and close, checked against the role', async (role) => {
    const user = USERS[role];
    const c = await connect(p.mqttUrl, user);
    try {
      await subscribe(c, `ops/${user}/replies`);
      for (const action of ['acknowledge', 'close'] as const) {
        const requestId = `${role}-${action}`;
        const reply = collect(c, (all) => all.some((m) => m.payload.includes(requestId)));
        await publish(c, 'ops/commands', JSON.stringify({ alertId, action, requestId }));
        const verdict = JSON.parse((await reply).find((m) => m.payload.includes(requestId))!.payload);
        if (allows([role], `alerts.${action}`)) {
          // allowed by the role: the alert manager's verdict is about the state, never the role
          expect(verdict.code).not.toBe('GANZHI_ERR_ALERT_FORBIDDEN');
        } else {
          expect(verdict).toMatchObject({ ok: false, code: 'GANZHI_ERR_ALERT_FORBIDDEN', actor: user });
          const r = await eventually(() => refusals.all.find((x) => x.actor === user && x.action === `alerts.${action}` && x.target === alertId));
          expect(r).toMatchObject({ via: 'mqtt', code: 'GANZHI_ERR_ALERT_FORBIDDEN' });
        }
      }
    } finally {
      await end(c);
    }
  });

  it('the alert manager checks the role of a command that reaches the bus by any path', async () => {
    const id = `test-cmd-${Date.now()}`;
    const results: unknown[] = [];
    const sub = await p.bus.subscribe(`test.results.${id}`, {
      'ganzhi.command-results.v1': async (batch) => {
        for (const { value } of batch) results.push(value);
      },
    });
    try {
      await p.bus.publish('ganzhi.commands.v1', [{ key: 'gauge-001', value: { id, alertId, action: 'close', deviceId: 'gauge-001', actor: 'op-carol', via: 'http', at: Date.now() } }]);
      const verdict = await eventually(() => results.find((r) => (r as { commandId: string }).commandId === id));
      expect(verdict).toMatchObject({ ok: false, code: 'GANZHI_ERR_ALERT_FORBIDDEN', actor: 'op-carol' });
      const r = await eventually(() => refusals.all.find((x) => x.id === `alerts.${id}`));
      expect(r).toMatchObject({ actor: 'op-carol', action: 'alerts.close', via: 'bus' });
    } finally {
      await sub.close();
    }
  });
});

describe('roles on HTTP', () => {
  /** A request that exercises each route of the policy table. */
  const request = (route: string): [string, string, unknown?] => {
    switch (route) {
      case 'POST /api/alerts/{alertId}/dispatch':
        return ['POST', `/api/alerts/${encodeURIComponent(alertId)}/dispatch`, { assignee: 'team-1' }];
      case 'POST /api/alerts/{alertId}/resolve':
        return ['POST', `/api/alerts/${encodeURIComponent(alertId)}/resolve`, { note: 'checked' }];
      case 'POST /api/silences':
        return ['POST', '/api/silences', { match: { deviceId: 'air-001' }, durationMinutes: 10 }];
      case 'POST /api/audit/verify':
        return ['POST', '/api/audit/verify', { checkpoint: { id: 'x', at: 1, keyId: 'test-key', heads: [], mac: '0'.repeat(64) } }];
      default: {
        const [method, path] = route.split(' ') as [string, string];
        return [method, path.replace('{alertId}', encodeURIComponent(alertId)).replace('{id}', 'sil-none') + (path === '/api/readings/range' ? '?deviceId=gauge-001&metric=waterLevel' : '')];
      }
    }
  };

  it.each(HTTP_ROUTES.flatMap((r) => ROLES.map((role) => [r.route, role, r.action] as const)))('%s as %s', async (route, role, action) => {
    const [method, path, body] = request(route);
    const res = await http(method, path, USERS[role], body);
    if (allows([role], action)) {
      expect(res.status).not.toBe(403);
      expect(res.status).not.toBe(401);
    } else {
      expect(res).toMatchObject({ status: 403, body: { error: { code: 'GANZHI_ERR_API_FORBIDDEN' } } });
      const target = `${method} ${path.split('?')[0]}`;
      const r = await eventually(() => refusals.all.find((x) => x.actor === USERS[role] && x.action === action && x.target === target));
      expect(r).toMatchObject({ via: 'http', code: 'GANZHI_ERR_API_FORBIDDEN' });
    }
  });

  it('limits a supervisor’s silence to GANZHI_SILENCE_MAX_MINUTES, not an admin’s', async () => {
    const forever = { match: { kind: 'fire_sensor' }, endsAt: Date.UTC(9999, 0, 1) };
    const bob = await http('POST', '/api/silences', 'op-bob', forever);
    expect(bob).toMatchObject({ status: 403, body: { error: { code: 'GANZHI_ERR_API_FORBIDDEN' } } });
    expect(bob.body.error.message).toContain('GANZHI_SILENCE_MAX_MINUTES');
    await eventually(() => refusals.all.find((x) => x.actor === 'op-bob' && x.action === 'silences.unlimited'));
    expect((await http('POST', '/api/silences', 'op-bob', { match: { kind: 'fire_sensor' }, durationMinutes: 60 })).status).toBe(201);
    expect((await http('POST', '/api/silences', 'op-admin', forever)).status).toBe(201);
  });

  it('refuses a device’s credentials on the API', async () => {
    expect((await http('GET', '/api/alerts', 'gauge-001')).status).toBe(401);
  });
});
