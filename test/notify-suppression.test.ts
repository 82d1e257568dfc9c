import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicKey, type AlertChange, type Signal } from '@ganzhi/schemas';
import { connect, end, publish } from './helpers/mqtt';
import { eventually, startPipeline, type RunningPipeline } from './helpers/pipeline';
import { startPeer } from './helpers/receivers';

/**
 * What the alert manager decided not to page is not paged by the notifier either: a change
 * covered by a silence (maintenance window) and a value alert inhibited by its device's offline
 * alert are recorded (notify: false) and reach no receiver, while the offline alert itself does;
 * the repeats of an alert still open wait out a silence. Everything runs through the real pipeline
 * and bus, on a clock of the test's own; a webhook of the test's own is the receiver.
 */
let clock = Date.now();
let p: RunningPipeline;
let dir = '';
let peer: Awaited<ReturnType<typeof startPeer>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ganzhi-notify-suppression-'));
  peer = await startPeer();
  await writeFile(
    join(dir, 'routes.json'),
    JSON.stringify({ version: 1, receivers: [{ id: 'hook', type: 'webhook', url: peer.url('/hook') }], route: { groupWaitSec: 0, repeatIntervalMin: 10, to: ['hook'] } }),
  );
  // the notifier's timer is off on a test clock: repeats go out when the test sweeps
  p = await startPipeline({ now: () => clock, env: { GANZHI_NOTIFY_ROUTES_FILE: join(dir, 'routes.json') } });
});
afterAll(async () => {
  await p?.stop();
  await peer?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const basic = (user: string) => `Basic ${Buffer.from(`${user}:demo-${user}`).toString('base64')}`;
const notificationsOf = async (alertId: string) =>
  ((await (await fetch(`${p.httpUrl}/api/alerts/${encodeURIComponent(alertId)}/notifications`, { headers: { authorization: basic('op-alice') } })).json()) as { notifications: unknown[] }).notifications;
const hookAlerts = () => peer.on('/hook').flatMap((r) => (r.body.alerts as { alertId: string }[]).map((a) => a.alertId));
/** Waits until the notifier has read `n` more alert changes than `base` (so their fate is decided). */
const notifierRead = (base: number, n: number) => eventually(() => p.pipeline.notifier!.stats().changes >= base + n, 20_000, `the notifier to read ${n} alert changes`);

describe('silences and inhibition reach the notifier', () => {
  it('does not notify a change covered by a silence', async () => {
    const res = await fetch(`${p.httpUrl}/api/silences`, {
      method: 'POST',
      headers: { authorization: basic('op-bob'), 'content-type': 'application/json' },
      body: JSON.stringify({ match: { deviceId: 'gauge-001' }, durationMinutes: 60, comment: 'gauge maintenance' }),
    });
    expect(res.status).toBe(201);
    await eventually(() => p.pipeline.alerts.stats().silences === 1, 20_000, 'the alert manager to hold the silence');

    const base = p.pipeline.notifier!.stats().changes;
    const gauge = await connect(p.mqttUrl, 'gauge-001');
    await publish(gauge, 'devices/gauge-001/telemetry', JSON.stringify({ waterLevel: 15.5 }));
    await end(gauge);
    const recorded = await eventually(async () => ((await p.store.alertHistory({ deviceId: 'gauge-001' })) as AlertChange[]).find((c) => c.ruleId === 'river-flood-level'));
    expect(recorded).toMatchObject({ level: 'red', notify: false, silencedBy: [expect.any(String)] });
    await notifierRead(base, 1);
    expect(await notificationsOf(recorded.alertId)).toEqual([]);
    expect(hookAlerts()).not.toContain(recorded.alertId);
  });

  it('notifies the offline alert of a device, and not its value alert inhibited by it', async () => {
    const now = clock;
    const signal = (over: Partial<Signal>): Signal => ({ deviceId: 'gauge-002', kind: 'river_gauge', site: 'riverside-south', ruleId: 'river-flood-level', state: 'raise', ts: now, sourceId: `t|${over.ruleId ?? 'v'}|${now}`, ...over });
    const offline = signal({ ruleId: 'river-gauge-offline', category: 'offline', level: 'yellow', message: 'Gauge offline' });
    const flood = signal({ category: 'value', level: 'red', metric: 'waterLevel', value: 15.6, threshold: 15.2, message: 'Flood water level', ts: now + 1 });
    const base = p.pipeline.notifier!.stats().changes;
    await p.bus.publish('ganzhi.signals.v1', [offline, flood].map((s) => ({ key: topicKey('ganzhi.signals.v1', s), value: s })));

    const history = await eventually(async () => {
      const h = (await p.store.alertHistory({ deviceId: 'gauge-002' })) as AlertChange[];
      return h.length >= 2 && h;
    });
    const off = history.find((c) => c.ruleId === 'river-gauge-offline')!;
    const value = history.find((c) => c.ruleId === 'river-flood-level')!;
    expect(off).toMatchObject({ event: { type: 'raised' }, notify: true });
    expect(value).toMatchObject({ event: { type: 'raised' }, level: 'red', notify: false, inhibitedBy: off.alertId });
    await notifierRead(base, 2);

    await eventually(() => hookAlerts().includes(off.alertId), 20_000, 'the offline alert at the hook');
    expect(await notificationsOf(off.alertId)).toEqual([expect.objectContaining({ receiver: 'hook', status: 'delivered' })]);
    expect(await notificationsOf(value.alertId)).toEqual([]);
    expect(hookAlerts()).not.toContain(value.alertId);
  });

  it('holds the repeats of an open alert back while a silence covers it, and repeats it once the silence is over', async () => {
    const raise: Signal = { deviceId: 'gauge-004', kind: 'river_gauge', ruleId: 'river-flood-level', state: 'raise', category: 'value', level: 'orange', metric: 'waterLevel', value: 14.2, threshold: 14, ts: clock, sourceId: `t|repeat|${clock}` };
    await p.bus.publish('ganzhi.signals.v1', [{ key: topicKey('ganzhi.signals.v1', raise), value: raise }]);
    const alert = await eventually(async () => ((await p.store.alertHistory({ deviceId: 'gauge-004' })) as AlertChange[])[0]);
    const atHook = () => peer.on('/hook').filter((r) => r.body.alerts.some((a: { alertId: string }) => a.alertId === alert.alertId)).map((r) => r.body.alerts[0].event as string);
    await eventually(() => atHook().length === 1, 20_000, 'the raised alert at the hook');

    const res = await fetch(`${p.httpUrl}/api/silences`, {
      method: 'POST',
      headers: { authorization: basic('op-bob'), 'content-type': 'application/json' },
      body: JSON.stringify({ match: { deviceId: 'gauge-004' }, durationMinutes: 30, comment: 'levee works' }),
    });
    expect(res.status).toBe(201);
    await eventually(() => p.pipeline.notifier!.stats().silences === 2, 20_000, 'the notifier to hold the silence');

    clock += 11 * 60_000; // a repeat is due, but the silence covers the alert
    await p.pipeline.notifier!.sweep();
    clock += 11 * 60_000;
    await p.pipeline.notifier!.sweep();
    expect(await notificationsOf(alert.alertId)).toHaveLength(1);

    clock += 10 * 60_000; // the silence is over
    expect(await p.pipeline.notifier!.sweep()).toBeGreaterThanOrEqual(1);
    await eventually(() => atHook().length === 2, 20_000, 'the repeat at the hook');
    expect(atHook()).toEqual(['raised', 'repeat']);
  });
});
