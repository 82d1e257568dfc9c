import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { AlertChange } from '@ganzhi/schemas';
import { verifyStoredEvents } from '@ganzhi/alerts';
import { collect, connect, end, publish, subscribe, type Received } from './helpers/mqtt';
import { eventually, startPipeline, type RunningPipeline } from './helpers/pipeline';

/**
 * The closed loop through both operator channels (MQTT commands and the HTTP API), on a fake
 * clock: raise, upgrade, acknowledge, dispatch, resolve, clear, close; escalation; a silence; and
 * the audit chain.
 */
let clock = Date.UTC(2026, 10, 21, 0, 0, 0);
let p: RunningPipeline;
let watcher: MqttClient;
const seen: Received[] = [];

beforeAll(async () => {
  p = await startPipeline({ now: () => clock });
  watcher = await connect(p.mqttUrl, 'op-alice');
  watcher.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString(), retain: packet.retain }));
  await subscribe(watcher, 'alerts/#');
  await subscribe(watcher, 'escalations/#');
});
afterAll(async () => {
  await end(watcher);
  await p?.stop();
});

const basic = (user: string) => `Basic ${Buffer.from(`${user}:demo-${user}`).toString('base64')}`;
async function http(method: string, path: string, user: string, body?: unknown) {
  const res = await fetch(`${p.httpUrl}${path}`, {
    method,
    headers: { authorization: basic(user), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function report(device: MqttClient, id: string, fields: Record<string, unknown>) {
  clock += 60_000;
  await publish(device, `devices/${id}/telemetry`, JSON.stringify({ ts: clock, ...fields }));
}

const changesOf = async (alertId: string) => (await p.store.alertHistory({ alertId })) as AlertChange[];
const lastOf = async (alertId: string, type: string) =>
  eventually(async () => (await changesOf(alertId)).find((c) => c.event.type === type), 20_000, `a "${type}" change of ${alertId}`);

describe('closed-loop alert handling', () => {
  let alertId = '';

  it('raises a yellow flood alert and upgrades the same alert to red, moving its retained message', async () => {
    const gauge = await connect(p.mqttUrl, 'gauge-001');
    try {
      await report(gauge, 'gauge-001', { waterLevel: 12.6 });
      const raised = await eventually(() => seen.find((m) => m.topic === 'alerts/yellow/river_gauge/gauge-001/river-flood-level' && m.payload));
      alertId = JSON.parse(raised.payload).alertId;
      await report(gauge, 'gauge-001', { waterLevel: 12.62 });
      await report(gauge, 'gauge-001', { waterLevel: 15.6 });
      const red = await eventually(() => seen.find((m) => m.topic === 'alerts/red/river_gauge/gauge-001/river-flood-level' && m.payload));
      expect(JSON.parse(red.payload)).toMatchObject({ alertId, level: 'red', event: { type: 'upgraded', fromLevel: 'yellow' } });
      // the retained yellow message was cleared when the alert moved up
      expect(seen.some((m) => m.topic === 'alerts/yellow/river_gauge/gauge-001/river-flood-level' && m.payload === '')).toBe(true);
    } finally {
      await end(gauge);
    }
  });

  it('takes the alert through acknowledge (HTTP), dispatch (MQTT), resolve (HTTP), clear and close, recording each actor', async () => {
    const ack = await http('POST', `/api/alerts/${alertId}/acknowledge`, 'op-alice');
    expect(ack).toMatchObject({ status: 200, body: { result: { ok: true, status: 'acknowledged', actor: 'op-alice' } } });

    const bob = await connect(p.mqttUrl, 'op-bob');
    try {
      await subscribe(bob, 'ops/op-bob/replies');
      const reply = collect(bob, (all) => all.length > 0);
      await publish(bob, 'ops/commands', JSON.stringify({ alertId, action: 'dispatch', assignee: 'field-team-2', requestId: 'r-1' }));
      expect(JSON.parse((await reply)[0]!.payload)).toMatchObject({ ok: true, status: 'dispatched', requestId: 'r-1', actor: 'op-bob' });
    } finally {
      await end(bob);
    }

    const noNote = await http('POST', `/api/alerts/${alertId}/resolve`, 'op-bob', {});
    expect(noNote.status).toBe(400);
    expect(noNote.body.error).toMatchObject({ code: 'GANZHI_ERR_API_BAD_REQUEST', fields: ['note'] });
    const resolved = await http('POST', `/api/alerts/${alertId}/resolve`, 'op-bob', { note: 'levee patrolled, pumps running' });
    expect(resolved).toMatchObject({ status: 200, body: { result: { ok: true, status: 'resolved' } } });

    // close is refused while the water is still high
    // closing is a supervisor's (op-bob); op-alice, an operator, is refused whatever the state
    const notHers = await http('POST', `/api/alerts/${alertId}/close`, 'op-alice');
    expect(notHers).toMatchObject({ status: 403, body: { error: { code: 'GANZHI_ERR_API_FORBIDDEN' } } });
    const early = await http('POST', `/api/alerts/${alertId}/close`, 'op-bob');
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('GANZHI_ERR_ALERT_TRANSITION');

    const gauge = await connect(p.mqttUrl, 'gauge-001');
    try {
      for (const level of [11.0, 10.8, 10.7]) await report(gauge, 'gauge-001', { waterLevel: level });
    } finally {
      await end(gauge);
    }
    await lastOf(alertId, 'cleared');
    const closed = await http('POST', `/api/alerts/${alertId}/close`, 'op-bob');
    expect(closed).toMatchObject({ status: 200, body: { result: { ok: true, status: 'closed' } } });

    const { body } = await eventually(async () => {
      const r = await http('GET', `/api/alerts/${alertId}`, 'op-alice');
      return r.body.alert?.status === 'closed' && r;
    });
    const trail = (body.events as AlertChange[]).map((e) => [e.event.type, e.event.actor]);
    expect(trail).toEqual([
      ['raised', 'system:rules'],
      ['upgraded', 'system:rules'],
      ['acknowledged', 'op-alice'],
      ['dispatched', 'op-bob'],
      ['resolved', 'op-bob'],
      ['cleared', 'system:rules'],
      ['closed', 'op-bob'],
    ]);
    expect(body.alert.assignee).toBe('field-team-2');
    // once closed, nothing is retained for it: a console connecting now sees no stale alert
    const late = await connect(p.mqttUrl, 'op-bob');
    try {
      const got: Received[] = [];
      late.on('message', (topic, payload) => got.push({ topic, payload: payload.toString(), retain: true }));
      await subscribe(late, 'alerts/+/river_gauge/gauge-001/river-flood-level');
      await new Promise((r) => setTimeout(r, 300));
      expect(got.filter((m) => m.payload)).toEqual([]);
    } finally {
      await end(late);
    }
  });

  it('escalates an alert nobody acknowledges within the grade\'s time, on the escalation topic', async () => {
    const sensor = await connect(p.mqttUrl, 'fire-002');
    try {
      await report(sensor, 'fire-002', { temperature: 66 }); // red heat
      const raised = await eventually(() => seen.find((m) => m.topic === 'alerts/red/fire_sensor/fire-002/fire-heat' && m.payload));
      const id = JSON.parse(raised.payload).alertId;
      clock += 4 * 60_000;
      expect(await p.pipeline.alerts.sweep()).toBe(0); // red escalates after 5 minutes
      clock += 2 * 60_000;
      expect(await p.pipeline.alerts.sweep()).toBe(1);
      const esc = await eventually(() => seen.find((m) => m.topic === 'escalations/red/fire_sensor/fire-002/fire-heat'));
      expect(JSON.parse(esc.payload)).toMatchObject({ alertId: id, escalations: 1, event: { type: 'escalated' } });
      expect((await lastOf(id, 'escalated')).escalations).toBe(1);
    } finally {
      await end(sensor);
    }
  });

  it('records but does not page an alert covered by a silence', async () => {
    const created = await http('POST', '/api/silences', 'op-bob', { match: { deviceId: 'port-001' }, durationMinutes: 120, comment: 'crane maintenance' });
    expect(created.status).toBe(201);
    await eventually(async () => (await http('GET', '/api/silences', 'op-bob')).body.silences.length === 1 || undefined);
    // the alert manager follows the silences topic through its own consumer group
    await eventually(() => p.pipeline.alerts.stats().silences === 1);
    const crane = await connect(p.mqttUrl, 'port-001');
    try {
      await report(crane, 'port-001', { windSpeed: 25, windGust: 27 });
      const recorded = await eventually(async () => {
        const h = (await p.store.alertHistory({ deviceId: 'port-001' })) as AlertChange[];
        return h.find((c) => c.ruleId === 'port-wind-mean');
      });
      expect(recorded).toMatchObject({ level: 'red', notify: false, silencedBy: [created.body.silence.id] });
      await new Promise((r) => setTimeout(r, 300));
      expect(seen.filter((m) => m.topic.includes('/port-001/'))).toEqual([]);
    } finally {
      await end(crane);
    }
  });

  it('verifies the audit chain, and the verifier catches an edited or a deleted event', async () => {
    const ok = await http('GET', '/api/audit/verify', 'op-admin');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, problems: [] });
    expect(ok.body.events).toBeGreaterThanOrEqual(9);

    const history = (await p.store.alertHistory({ deviceId: 'gauge-001' })) as AlertChange[];
    const edited = history.map((c) => (c.event.type === 'acknowledged' ? { ...c, event: { ...c.event, actor: 'op-mallory' } } : c));
    const check = (changes: AlertChange[]) => verifyStoredEvents(changes.map((change) => ({ change })), { keyring: p.keyring });
    expect(check(edited)).toMatchObject({ ok: false, problems: [{ deviceId: 'gauge-001', problem: 'hash-mismatch' }] });
    const deleted = history.filter((c) => c.event.type !== 'dispatched');
    expect(check(deleted).ok).toBe(false);
  });
});
