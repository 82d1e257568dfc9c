import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redAlertThrough, startAllInOne, type AllInOne } from './helpers/all-in-one';
import { eventually } from './helpers/pipeline';
import { scrape, type Scrape } from './helpers/prom';
import { startPeer, startSmtp } from './helpers/receivers';

/**
 * The notifier's Prometheus series, read from the all-in-one process's ops listener (/metrics):
 * a red alert goes to a webhook that takes it, one that fails once then recovers, one that refuses
 * it (HTTP 404, given up at once), one that stays down (503, still pending), a WeCom robot and an
 * e-mail over a real SMTP server; the counters and histograms tell each outcome by receiver type.
 * The process also reads template overrides from files (GANZHI_NOTIFY_TEMPLATES_DIR): the WeCom
 * message and the e-mail subject are the operator's own; the SMTP server's URL comes from a file.
 */
let aio: AllInOne;
let dir = '';
let peer: Awaited<ReturnType<typeof startPeer>>;
let smtp: Awaited<ReturnType<typeof startSmtp>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ganzhi-notify-metrics-'));
  peer = await startPeer((r, nth) => {
    if (r.path === '/flaky' && nth === 1) return { status: 500, body: {} };
    if (r.path === '/refuse') return { status: 404, body: {} };
    if (r.path === '/down') return { status: 503, body: {} };
    return undefined;
  });
  smtp = await startSmtp();
  await writeFile(join(dir, 'smtp-url'), `${smtp.url}\n`, { mode: 0o600 });
  await mkdir(join(dir, 'templates'));
  await writeFile(join(dir, 'templates', 'wecom.body.zh-CN.mustache'), '# 值班通知 {{count}}\n{{#alerts}}- <font color="{{wecomColor}}">{{gradeLabel}}</font> {{deviceId}} {{valueText}}/{{thresholdText}}\n{{/alerts}}');
  await writeFile(join(dir, 'templates', 'email.title.zh-CN.mustache'), '[Ganzhi] {{gradeLabel}} {{#first}}{{deviceId}}{{/first}}');
  await writeFile(
    join(dir, 'routes.json'),
    JSON.stringify({
      version: 1,
      receivers: [
        { id: 'ok', type: 'webhook', url: peer.url('/ok') },
        { id: 'flaky', type: 'webhook', url: peer.url('/flaky') },
        { id: 'refuse', type: 'webhook', url: peer.url('/refuse') },
        { id: 'down', type: 'webhook', url: peer.url('/down') },
        { id: 'chat', type: 'wecom', url: peer.url('/wecom/cgi-bin/webhook/send?key=k') },
        { id: 'mail', type: 'email', to: ['duty@river.example'] },
      ],
      route: { groupWaitSec: 0, to: ['ok', 'flaky', 'refuse', 'down', 'chat', 'mail'] },
    }),
  );
  aio = await startAllInOne({
    env: {
      GANZHI_NOTIFY_ROUTES_FILE: join(dir, 'routes.json'),
      GANZHI_NOTIFY_TEMPLATES_DIR: join(dir, 'templates'),
      GANZHI_NOTIFY_SMTP_URL_FILE: join(dir, 'smtp-url'), // the secret from a file
      GANZHI_NOTIFY_RETRY_INITIAL_MS: '50',
      GANZHI_NOTIFY_RETRY_MAX_MS: '200',
      GANZHI_NOTIFY_MAX_ATTEMPTS: '1000',
    },
  });
}, 120_000);
afterAll(async () => {
  await aio?.stop();
  await peer?.close();
  await smtp?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('notifier metrics on /metrics', () => {
  it('count notifications, attempts, retries and deliveries by receiver type and outcome, time them, and gauge the pending outbox', async () => {
    const metricsUrl = `http://127.0.0.1:${aio.opsPort}/metrics`;
    const before = await scrape(metricsUrl);
    expect(before.value('ganzhi_notify_outbox_pending', { receiver_type: 'webhook' })).toBe(0);

    await redAlertThrough(aio.mqttPort);
    const s: Scrape = await eventually(
      async () => {
        const got = await scrape(metricsUrl);
        const settled =
          got.value('ganzhi_notify_deliveries_total', { receiver_type: 'webhook', outcome: 'delivered' }) === 2 &&
          got.value('ganzhi_notify_deliveries_total', { receiver_type: 'webhook', outcome: 'failed' }) === 1 &&
          got.value('ganzhi_notify_deliveries_total', { receiver_type: 'wecom', outcome: 'delivered' }) === 1 &&
          got.value('ganzhi_notify_deliveries_total', { receiver_type: 'email', outcome: 'delivered' }) === 1 &&
          (got.value('ganzhi_notify_retries_total', { receiver_type: 'webhook' }) ?? 0) >= 3; // flaky once, down at least twice
        return settled && got;
      },
      60_000,
      'every receiver but the one that is down to be done',
    );

    expect(s.value('ganzhi_notify_notifications_total', { receiver_type: 'webhook' })).toBe(4);
    expect(s.value('ganzhi_notify_notifications_total', { receiver_type: 'wecom' })).toBe(1);
    expect(s.value('ganzhi_notify_notifications_total', { receiver_type: 'email' })).toBe(1);
    // the one that stays down is still pending; nothing else is
    expect(s.value('ganzhi_notify_outbox_pending', { receiver_type: 'webhook' })).toBe(1);
    expect(s.value('ganzhi_notify_outbox_pending', { receiver_type: 'wecom' })).toBe(0);
    expect(s.value('ganzhi_notify_outbox_pending', { receiver_type: 'email' })).toBe(0);

    // attempts: ok + flaky's second succeed; flaky's first, the refusal and the down ones fail
    expect(s.value('ganzhi_notify_attempts_total', { receiver_type: 'webhook', outcome: 'ok' })).toBe(2);
    const errors = s.value('ganzhi_notify_attempts_total', { receiver_type: 'webhook', outcome: 'error' })!;
    const retries = s.value('ganzhi_notify_retries_total', { receiver_type: 'webhook' })!;
    expect(errors).toBeGreaterThanOrEqual(4);
    expect(errors).toBe(retries + 1); // every failed attempt is retried, but the refusal
    expect(s.value('ganzhi_notify_attempts_total', { receiver_type: 'email', outcome: 'ok' })).toBe(1);
    expect(s.value('ganzhi_notify_retries_total', { receiver_type: 'email' })).toBeUndefined();

    // latency: one observation per attempt, and per delivered notification (entered the outbox → delivered)
    expect(s.value('ganzhi_notify_attempt_seconds_count', { receiver_type: 'webhook', outcome: 'ok' })).toBe(2);
    expect(s.value('ganzhi_notify_attempt_seconds_count', { receiver_type: 'wecom', outcome: 'ok' })).toBe(1);
    expect(s.value('ganzhi_notify_delivery_seconds_count', { receiver_type: 'webhook' })).toBe(2);
    expect(s.value('ganzhi_notify_delivery_seconds_count', { receiver_type: 'email' })).toBe(1);
    expect(s.value('ganzhi_notify_delivery_seconds_bucket', { receiver_type: 'webhook', le: '+Inf' })).toBe(2);
    expect(s.value('ganzhi_notify_delivery_seconds_sum', { receiver_type: 'webhook' })).toBeGreaterThan(0);

    // and they agree with what the receivers saw
    expect(peer.on('/ok')).toHaveLength(1);
    expect(peer.on('/flaky')).toHaveLength(2);
    expect(peer.on('/refuse')).toHaveLength(1);
    expect(peer.on('/wecom/cgi-bin/webhook/send')).toHaveLength(1);
    expect(smtp.mails).toHaveLength(1);
  });

  it('render with the template files of GANZHI_NOTIFY_TEMPLATES_DIR instead of the shipped ones', () => {
    // the first test waited for every delivery: the WeCom robot and the SMTP server have theirs
    const [wecom] = peer.on('/wecom/cgi-bin/webhook/send');
    expect(wecom!.body).toEqual({ msgtype: 'markdown', markdown: { content: '# 值班通知 1\n- <font color="warning">红色预警（I级）</font> gauge-001 15.5/15.2' } }); // trimmed
    expect(smtp.mails[0]!.subject).toBe('[Ganzhi] 红色预警（I级） gauge-001');
    // parts without a file keep the shipped template
    expect(smtp.mails[0]!.html).toContain('color:#E02020');
  });
});
