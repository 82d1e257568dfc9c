import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dingtalkSign, feishuSign, httpRequest, judgeResponse, webhookSignature } from './formats';
import type { Notification } from './planner';
import { loadTemplateDir } from './load';
import { renderNotification, withOverrides } from './templates';

const n: Notification = {
  id: 'ntf-1',
  receiver: 'hook',
  routeId: 'root',
  language: 'zh-CN',
  createdAt: 0,
  items: [
    { changeId: 'a#1', alertId: 'a', seq: 1, event: 'raised', level: 'yellow', kind: 'air_monitor', deviceId: 'air-1', site: 'downtown', ruleId: 'aqi', status: 'open', value: 120, threshold: 101, actor: 'system:alerts', at: Date.UTC(2026, 0, 1, 4, 0) },
    { changeId: 'b#2', alertId: 'b', seq: 2, event: 'upgraded', level: 'red', kind: 'air_monitor', deviceId: 'air-2', site: 'downtown', ruleId: 'aqi', status: 'open', value: 230, threshold: 201, actor: 'system:alerts', at: Date.UTC(2026, 0, 1, 4, 1) },
  ],
};

describe('message templates', () => {
  it('render a group in Chinese by default and in English on request, coloured by the highest grade', () => {
    const t = withOverrides({});
    const zh = renderNotification(t, 'wecom', 'zh-CN', n, { offsetMin: 480, consoleUrl: 'https://c.example/' });
    expect(zh.title).toBe('【红色预警（I级）】downtown 2 条告警');
    expect(zh.level).toBe('red');
    expect(zh.body).toContain('<font color="comment">**黄色预警（III级）** 新告警</font>');
    expect(zh.body).toContain('时间：2026-01-01 12:00:00 (UTC+08:00)');
    expect(zh.body).toContain('[查看告警](https://c.example/alerts/b)');
    const en = renderNotification(t, 'email', 'en', n, { offsetMin: 0 });
    expect(en.title).toBe('[Red (I)] downtown: 2 alerts');
    expect(en.html).toContain('<b style="color:#E02020">Red (I)</b> upgraded');
  });

  it('can be overridden by a file, and a bad override is refused with its name', async () => {
    const t = withOverrides({ 'webhook.title.en': 'ALERT {{count}}' });
    expect(renderNotification(t, 'webhook', 'en', n, { offsetMin: 0 }).title).toBe('ALERT 2');
    expect(() => withOverrides({ 'sms.title.en': 'x' })).toThrow(/GANZHI_ERR_NOTIFY_TEMPLATE|not a template name/);
    expect(() => withOverrides({ 'email.html.en': '{{#alerts}}' })).toThrow(/email\.html\.en/);
    await expect(loadTemplateDir('/nonexistent-ganzhi-dir')).rejects.toThrow(/cannot list/);
  });
});

describe('receiver formats', () => {
  const r = renderNotification(withOverrides({}), 'dingtalk', 'zh-CN', n, { offsetMin: 480 });

  it('sign the generic webhook over "<timestamp>.<body>"', () => {
    const req = httpRequest({ type: 'webhook', id: 'hook', url: 'http://x/h', secret: 's3' }, n, r, 1_700_000_000_000);
    expect(req.headers['x-ganzhi-timestamp']).toBe('1700000000');
    expect(req.headers['x-ganzhi-signature']).toBe(webhookSignature('s3', '1700000000', req.body));
    expect(req.headers['x-ganzhi-signature']).toBe('sha256=' + createHmac('sha256', 's3').update(`1700000000.${req.body}`).digest('hex'));
    expect(JSON.parse(req.body)).toMatchObject({ schema: 'ganzhi.notification.v1', id: 'ntf-1', level: 'red', grade: 'I' });
  });

  it('sign DingTalk in the URL and Feishu in the body, as those services document', () => {
    const ding = httpRequest({ type: 'dingtalk', id: 'd', url: 'http://x/robot/send?access_token=t', secret: 'SECx' }, n, r, 1_700_000_000_123);
    const u = new URL(ding.url);
    expect(u.searchParams.get('timestamp')).toBe('1700000000123');
    expect(u.searchParams.get('sign')).toBe(dingtalkSign('SECx', 1_700_000_000_123));
    const fei = JSON.parse(httpRequest({ type: 'feishu', id: 'f', url: 'http://x/hook/1', secret: 'fs' }, n, r, 1_700_000_000_123).body);
    expect(fei.timestamp).toBe('1700000000');
    expect(fei.sign).toBe(feishuSign('fs', 1_700_000_000));
  });

  it('read the chat robots’ error codes, and tell a refusal from a failure worth retrying', () => {
    expect(judgeResponse('wecom', 200, '{"errcode":0,"errmsg":"ok"}')).toEqual({ ok: true });
    expect(judgeResponse('dingtalk', 200, '{"errcode":310000,"errmsg":"sign not match"}')).toMatchObject({ ok: false, retry: true });
    expect(judgeResponse('feishu', 200, '{"code":0,"msg":"success"}')).toEqual({ ok: true });
    expect(judgeResponse('webhook', 404, '')).toEqual({ ok: false, retry: false, error: 'HTTP 404' });
    expect(judgeResponse('webhook', 429, '')).toMatchObject({ retry: true });
    expect(judgeResponse('webhook', 503, '')).toMatchObject({ retry: true });
  });
});
