import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_REGISTRY_FILE } from '@ganzhi/all';
import { connect, end, publish } from './helpers/mqtt';
import { eventually, startPipeline, type RunningPipeline } from './helpers/pipeline';
import { startPeer, startSmtp, writeNotifyRegistry, type PeerRequest } from './helpers/receivers';

/**
 * A red flood alert reaches every kind of receiver, over real sockets: the test's own HTTP server
 * plays WeCom, DingTalk, Feishu and webhook endpoints (one that fails once, one that stays
 * down, one that is stuck: it takes the request and never answers), and a real SMTP server
 * receives the e-mail. Each body is checked against the format the
 * service documents, and the DingTalk, Feishu and webhook signatures are verified.
 */
const DING_SECRET = 'SECtest-dingtalk-signing-secret';
const FEISHU_SECRET = 'feishu-signing-secret';
const HOOK_SECRET = 'webhook-hmac-secret';

let dir = '';
let p: RunningPipeline;
let peer: Awaited<ReturnType<typeof startPeer>>;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
/** Answers the stuck receiver's requests (at the end). */
let unstick: () => void = () => undefined;
const stuck = new Promise<void>((resolve) => (unstick = resolve));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ganzhi-notify-'));
  peer = await startPeer((r, nth) => {
    if (r.path === '/flaky' && nth === 1) return { status: 500, body: { error: 'busy' } };
    if (r.path === '/down') return { status: 503, body: { error: 'down' } };
    if (r.path === '/stuck') return stuck.then(() => ({ status: 204, body: {} }));
    return undefined;
  });
  smtp = await startSmtp();
  const demo = JSON.parse(await readFile(DEMO_REGISTRY_FILE, 'utf8')) as { devices: unknown[]; models?: unknown[] };
  await writeNotifyRegistry(join(dir, 'registry.json'), demo, {
    operators: [
      { id: 'op-alice', roles: ['operator', 'admin'] },
      { id: 'op-field', receivers: [{ id: 'phone-hook', type: 'webhook', url: peer.url('/op-field') }] },
    ],
    dutyGroups: [
      {
        id: 'river-duty',
        members: ['op-field'],
        receivers: [
          { id: 'wecom', type: 'wecom', url: peer.url('/wecom/cgi-bin/webhook/send?key=wecom-key') },
          { id: 'dingtalk', type: 'dingtalk', url: peer.url('/dingtalk/robot/send?access_token=ding-token'), secret: { env: 'TEST_DING_SECRET' }, atMobiles: ['13800000000'] },
          { id: 'feishu', type: 'feishu', url: peer.url('/feishu/open-apis/bot/v2/hook/hook-id'), secret: FEISHU_SECRET, language: 'en' },
          { id: 'mail', type: 'email', to: ['duty@river.example'] },
        ],
      },
    ],
  });
  await writeFile(
    join(dir, 'routes.json'),
    JSON.stringify({
      version: 1,
      consoleUrl: 'https://ops.example.invalid/console',
      receivers: [
        { id: 'dispatch-system', type: 'webhook', url: peer.url('/hook'), secret: { file: join(dir, 'hook-secret') } },
        { id: 'flaky', type: 'webhook', url: peer.url('/flaky') },
        { id: 'down', type: 'webhook', url: peer.url('/down') },
        { id: 'stuck', type: 'webhook', url: peer.url('/stuck') },
      ],
      route: { groupWaitSec: 0, routes: [{ id: 'rivers', match: { kind: ['river_gauge'] }, to: ['group:river-duty', 'dispatch-system', 'flaky', 'down', 'stuck'] }] },
    }),
  );
  await writeFile(join(dir, 'hook-secret'), `${HOOK_SECRET}\n`);
  process.env.TEST_DING_SECRET = DING_SECRET;
  p = await startPipeline({
    env: {
      GANZHI_REGISTRY_FILE: join(dir, 'registry.json'),
      GANZHI_NOTIFY_ROUTES_FILE: join(dir, 'routes.json'),
      GANZHI_NOTIFY_SMTP_URL: smtp.url,
      GANZHI_NOTIFY_SMTP_FROM: 'Ganzhi <ganzhi@ops.example>',
      GANZHI_NOTIFY_RETRY_INITIAL_MS: '50',
      GANZHI_NOTIFY_RETRY_MAX_MS: '200',
      GANZHI_NOTIFY_MAX_ATTEMPTS: '1000',
      // longer than this file runs: the stuck receiver's first attempt stays in flight throughout
      GANZHI_NOTIFY_TIMEOUT_MS: '300000',
    },
  });
});
afterAll(async () => {
  unstick();
  await p?.stop();
  await peer?.close();
  await smtp?.close();
  delete process.env.TEST_DING_SECRET;
  if (dir) await rm(dir, { recursive: true, force: true });
});

const basic = `Basic ${Buffer.from('op-alice:demo-op-alice').toString('base64')}`;
const one = (path: string) => eventually(() => peer.on(path)[0], 20_000, `a request on ${path}`);

describe('notification receivers', () => {
  let alertId = '';

  it('sends the red alert to every receiver, each in its documented format', async () => {
    const gauge = await connect(p.mqttUrl, 'gauge-001');
    await publish(gauge, 'devices/gauge-001/telemetry', JSON.stringify({ waterLevel: 15.5 }));
    await end(gauge);

    // WeCom group robot: {"msgtype":"markdown","markdown":{"content"}} with its named colours.
    const wecom = await one('/wecom/cgi-bin/webhook/send');
    expect(wecom.query.get('key')).toBe('wecom-key');
    expect(wecom.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(wecom.body)).toEqual(['msgtype', 'markdown']);
    expect(wecom.body.msgtype).toBe('markdown');
    const content = wecom.body.markdown.content as string;
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(4096);
    expect(content).toContain('<font color="warning">**红色预警（I级）** 新告警</font>');
    expect(content).toMatch(/当前值：15\.5　阈值：15\.2/);
    expect(content).toContain('riverside-north');
    alertId = /alerts\/([^)]+)\)/.exec(content)![1]!;
    expect(decodeURIComponent(alertId)).toMatch(/^gauge-001:river-flood-level:/);
    alertId = decodeURIComponent(alertId);

    // DingTalk robot: signed URL (timestamp in ms, sign = base64 HMAC-SHA256(secret, "ts\nsecret")), markdown {title, text}.
    const ding = await one('/dingtalk/robot/send');
    expect(ding.query.get('access_token')).toBe('ding-token');
    const ts = ding.query.get('timestamp')!;
    expect(ts).toMatch(/^\d{13}$/);
    expect(ding.query.get('sign')).toBe(createHmac('sha256', DING_SECRET).update(`${ts}\n${DING_SECRET}`).digest('base64'));
    expect(ding.body).toMatchObject({ msgtype: 'markdown', markdown: { title: expect.stringContaining('红色预警'), text: expect.stringContaining('<font color=#E02020>') }, at: { atMobiles: ['13800000000'], isAtAll: false } });
    expect(ding.body.markdown.text).toContain('@13800000000');

    // Feishu custom bot: body timestamp (s) and sign = base64 HMAC-SHA256(key "ts\nsecret", ""), an interactive card.
    const feishu = await one('/feishu/open-apis/bot/v2/hook/hook-id');
    const fts = feishu.body.timestamp as string;
    expect(fts).toMatch(/^\d{10}$/);
    expect(feishu.body.sign).toBe(createHmac('sha256', `${fts}\n${FEISHU_SECRET}`).update('').digest('base64'));
    expect(feishu.body.msg_type).toBe('interactive');
    expect(feishu.body.card.header).toEqual({ template: 'red', title: { tag: 'plain_text', content: expect.stringContaining('[Red (I)]') } });
    expect(feishu.body.card.elements[0]).toMatchObject({ tag: 'div', text: { tag: 'lark_md', content: expect.stringContaining('Value: 15.5  Threshold: 15.2') } });
    expect(feishu.body.card.elements[1].actions[0]).toMatchObject({ tag: 'button', url: `https://ops.example.invalid/console/alerts/${encodeURIComponent(alertId)}` });

    // Generic webhook: ganzhi.notification.v1, signed over "<timestamp>.<body>", with an idempotency key.
    const hook = await one('/hook');
    const sig = createHmac('sha256', HOOK_SECRET).update(`${hook.headers['x-ganzhi-timestamp']}.${hook.text}`).digest('hex');
    expect(hook.headers['x-ganzhi-signature']).toBe(`sha256=${sig}`);
    expect(hook.headers['idempotency-key']).toBe(hook.body.id);
    expect(hook.body).toMatchObject({ schema: 'ganzhi.notification.v1', receiver: 'dispatch-system', route: 'rivers', level: 'red', grade: 'I', language: 'zh-CN' });
    expect(hook.body.alerts).toEqual([expect.objectContaining({ alertId, event: 'raised', level: 'red', value: 15.5, threshold: 15.2, site: 'riverside-north', deviceId: 'gauge-001' })]);

    // E-mail over SMTP.
    const mail = await eventually(() => smtp.mails[0], 20_000, 'the e-mail');
    expect(mail.to).toMatchObject({ text: 'duty@river.example' });
    expect(mail.from?.text).toContain('ganzhi@ops.example');
    expect(mail.subject).toContain('【红色预警（I级）】');
    expect(mail.messageId).toMatch(/^<ntf-[0-9a-f]{32}@ganzhi\.notify>$/);
    expect(mail.html).toContain('color:#E02020');
    expect(mail.text).toContain('15.5');
  });

  it('delivers to a receiver that failed once exactly once more, and records both attempts', async () => {
    const ok = await eventually(() => peer.on('/flaky').length === 2 && peer.on('/flaky'), 20_000, 'the retry');
    expect(ok[0]!.headers['idempotency-key']).toBe(ok[1]!.headers['idempotency-key']);
    const res = await fetch(`${p.httpUrl}/api/alerts/${encodeURIComponent(alertId)}/notifications`, { headers: { authorization: basic } });
    expect(res.status).toBe(200);
    const { notifications } = (await res.json()) as { notifications: { receiver: string; status: string; attempts: { ok: boolean; error?: string }[] }[] };
    const flaky = notifications.find((n) => n.receiver === 'flaky')!;
    expect(flaky.status).toBe('delivered');
    expect(flaky.attempts.map((a) => [a.ok, a.error])).toEqual([[false, 'HTTP 500'], [true, undefined]]);
    expect(peer.on('/flaky')).toHaveLength(2); // and no third
  });

  it('keeps retrying a receiver that stays down, and waits on a stuck one, while every other one has its message', async () => {
    const down = await eventually(() => peer.on('/down').length >= 3 && peer.on('/down'), 20_000, 'retries of the down receiver');
    expect(new Set(down.map((r: PeerRequest) => r.headers['idempotency-key'])).size).toBe(1);
    const res = await fetch(`${p.httpUrl}/api/alerts/${encodeURIComponent(alertId)}/notifications`, { headers: { authorization: basic } });
    const { notifications } = (await res.json()) as { notifications: { receiver: string; status: string; attemptCount: number }[] };
    const byReceiver = Object.fromEntries(notifications.map((n) => [n.receiver, n.status]));
    expect(byReceiver).toEqual({
      'group:river-duty/wecom': 'delivered',
      'group:river-duty/dingtalk': 'delivered',
      'group:river-duty/feishu': 'delivered',
      'group:river-duty/mail': 'delivered',
      'dispatch-system': 'delivered',
      flaky: 'delivered',
      down: 'pending',
      stuck: 'pending',
    });
    expect(notifications.find((n) => n.receiver === 'down')!.attemptCount).toBeGreaterThanOrEqual(3);
    // the stuck receiver has the request and has not answered it: its attempt is still in flight
    expect(peer.on('/stuck')).toHaveLength(1);
    expect(notifications.find((n) => n.receiver === 'stuck')!.attemptCount).toBe(0);
    // what is recorded and shown names receivers, statuses and error codes: no robot key, URL or secret
    const shown = JSON.stringify(notifications);
    for (const secret of ['wecom-key', 'ding-token', 'hook-id', DING_SECRET, FEISHU_SECRET, HOOK_SECRET, '127.0.0.1']) expect(shown).not.toContain(secret);
    for (const path of ['/wecom/cgi-bin/webhook/send', '/dingtalk/robot/send', '/feishu/open-apis/bot/v2/hook/hook-id', '/hook']) expect(peer.on(path)).toHaveLength(1);
    expect(smtp.mails).toHaveLength(1);
  });

  it('tells the operator an alert was dispatched to, on their own receiver', async () => {
    const res = await fetch(`${p.httpUrl}/api/alerts/${encodeURIComponent(alertId)}/dispatch`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify({ assignee: 'op-field' }),
    });
    expect(res.status).toBe(200);
    const got = await one('/op-field');
    expect(got.body.alerts).toEqual([expect.objectContaining({ alertId, event: 'dispatched', assignee: 'op-field' })]);
    expect(got.body.receiver).toBe('phone-hook');
  });
});
