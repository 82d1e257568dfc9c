import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, end, publish } from './helpers/mqtt';
import { startPipeline, type RunningPipeline } from './helpers/pipeline';
import { startPeer } from './helpers/receivers';

/**
 * The operators' console in real Chromium (Debian's /usr/bin/chromium through playwright-core),
 * against the whole pipeline: an operator logs in, a device's red reading arrives on the board over
 * MQTT-over-WebSocket without a reload, the page shows how its notifications went (a webhook of the
 * test's own that takes it, one that keeps answering 503), and the operator takes it through the
 * closed loop from the page.
 */
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('./.screenshots/', import.meta.url));
const CONSOLE = fileURLToPath(new URL('../services/console/', import.meta.url));

let p: RunningPipeline;
let browser: Browser;
let page: Page;
let distDir: string;
let peer: Awaited<ReturnType<typeof startPeer>>;
let notifyDir: string;

beforeAll(async () => {
  distDir = await mkdtemp(join(tmpdir(), 'ganzhi-console-'));
  await build({ root: CONSOLE, configFile: join(CONSOLE, 'vite.config.ts'), logLevel: 'error', build: { outDir: distDir, emptyOutDir: true } });
  peer = await startPeer((r) => (r.path === '/broken' ? { status: 503, body: { error: 'maintenance' } } : undefined));
  notifyDir = await mkdtemp(join(tmpdir(), 'ganzhi-console-notify-'));
  await writeFile(
    join(notifyDir, 'routes.json'),
    JSON.stringify({
      version: 1,
      receivers: [
        { id: 'duty-desk', type: 'webhook', url: peer.url('/desk') },
        { id: 'broken-hook', type: 'webhook', url: peer.url('/broken') },
      ],
      route: { groupWaitSec: 0, to: ['duty-desk', 'broken-hook'] },
    }),
  );
  p = await startPipeline({
    consoleDir: distDir,
    env: {
      GANZHI_NOTIFY_ROUTES_FILE: join(notifyDir, 'routes.json'),
      GANZHI_NOTIFY_RETRY_INITIAL_MS: '50',
      GANZHI_NOTIFY_RETRY_MAX_MS: '100',
      GANZHI_NOTIFY_MAX_ATTEMPTS: '3',
    },
  });
  await mkdir(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await p?.stop();
  await peer?.close();
  if (distDir) await rm(distDir, { recursive: true, force: true });
  if (notifyDir) await rm(notifyDir, { recursive: true, force: true });
});

async function report(id: string, fields: Record<string, unknown>) {
  const device = await connect(p.mqttUrl, id);
  try {
    await publish(device, `devices/${id}/telemetry`, JSON.stringify(fields));
  } finally {
    await end(device);
  }
}

describe('the operators console', () => {
  let alertId = '';

  it('logs an operator in (Chinese by default) and opens the live link', async () => {
    await page.goto(p.httpUrl);
    await page.getByText('值班员登录').waitFor();
    await page.fill('input[name=username]', 'op-bob'); // a supervisor: may close and verify the audit trail
    await page.fill('input[name=password]', 'wrong');
    await page.click('button[type=submit]');
    await expect(page.locator('[data-test=login-error]').textContent()).resolves.toContain('账号或密码错误');
    await page.fill('input[name=password]', 'demo-op-bob');
    await page.click('button[type=submit]');
    await page.locator('[data-test=live].up').waitFor();
    expect(await page.locator('[data-nav=board]').textContent()).toBe('告警看板');
  });

  it('shows a red alert on the board as soon as the device reports, without a reload', async () => {
    await report('gauge-001', { waterLevel: 15.5 });
    const row = page.locator('tr[data-alert^="gauge-001:river-flood-level"]');
    await row.waitFor({ timeout: 30_000 });
    alertId = (await row.getAttribute('data-alert'))!;
    expect(await row.locator('.grade').textContent()).toBe('红 I');
    expect(await row.locator('.grade').getAttribute('data-level')).toBe('red');
    expect(await row.getAttribute('data-status')).toBe('open');
    await page.screenshot({ path: join(SHOTS, 'board.png') });
  });

  it('shows on the alert page how each receiver was notified: one delivered, one failed after its attempts', async () => {
    await page.locator(`tr[data-alert="${alertId}"]`).click();
    const panel = page.locator('[data-test=notifications]');
    await panel.waitFor();
    const delivered = panel.locator('tr[data-receiver="duty-desk"][data-status=delivered]');
    const failed = panel.locator('tr[data-receiver="broken-hook"][data-status=failed]');
    await delivered.waitFor({ timeout: 30_000 });
    await failed.waitFor({ timeout: 30_000 }); // refreshed by the page itself while it was pending
    expect(await delivered.locator('[data-test=notification-status]').textContent()).toBe('已送达');
    expect(await delivered.locator('[data-test=notification-attempts]').textContent()).toBe('1');
    expect(await delivered.locator('[data-test=notification-error]').textContent()).toBe('');
    expect(await delivered.locator('[data-test=notification-end]').textContent()).not.toBe('—');
    expect(await failed.locator('[data-test=notification-status]').textContent()).toBe('送达失败');
    expect(await failed.locator('[data-test=notification-attempts]').textContent()).toBe('3');
    expect(await failed.locator('[data-test=notification-error]').textContent()).toBe('HTTP 503');
    expect(await failed.locator('[data-test=notification-last]').textContent()).not.toMatch(/^—/);
    // what the page shows is what the receivers saw: one request to the desk, three to the broken hook
    expect(peer.on('/desk')).toHaveLength(1);
    expect(peer.on('/broken')).toHaveLength(3);
    expect(new Set(peer.on('/broken').map((r) => r.headers['idempotency-key']))).toEqual(new Set([await failed.getAttribute('data-notification')]));
    await page.screenshot({ path: join(SHOTS, 'alert-notifications.png'), fullPage: true });
    await page.locator('a[href="#/board"]').first().click();
    await page.locator(`tr[data-alert="${alertId}"]`).waitFor();
  });

  it('acknowledges, dispatches, resolves and closes it from the alert page, showing each state, and a refusal with its reason', async () => {
    await page.locator(`tr[data-alert="${alertId}"]`).click();
    const detail = page.locator('[data-test=alert-detail]');
    await detail.waitFor();
    const reach = (status: string) => page.locator(`[data-test=alert-detail][data-status=${status}]`).waitFor({ timeout: 30_000 });

    await page.click('[data-action=acknowledge]');
    await reach('acknowledged');
    expect(await page.locator('[data-test=detail-status]').textContent()).toBe('已确认');

    await page.fill('[data-test=assignee]', 'field-team-2');
    await page.click('[data-action=dispatch]');
    await reach('dispatched');

    await page.fill('[data-test=note]', 'levee patrolled, pumps running');
    await page.click('[data-action=resolve]');
    await reach('resolved');

    // the water is still high: the alert manager refuses to close, and the page says why
    await page.click('[data-action=close]');
    const refusal = page.locator('[data-test=refusal]');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('GANZHI_ERR_ALERT_TRANSITION');
    expect(await refusal.textContent()).toMatch(/clear|condition|active/i);

    for (const level of [11.0, 10.8, 10.7]) await report('gauge-001', { waterLevel: level });
    await page.locator('[data-test=condition][data-condition=cleared]').waitFor({ timeout: 30_000 }); // over the live link
    await page.click('[data-action=close]');
    await reach('closed');
    expect(await page.locator('[data-test=trail] tbody tr').count()).toBeGreaterThanOrEqual(6);
    expect(await page.locator('[data-test=audit] .tag.ok').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'alert.png'), fullPage: true });
  });

  it('draws a device chart with points from the store and the gauge\'s threshold bands', async () => {
    await page.goto(`${p.httpUrl}/#/devices/gauge-001`);
    const chart = page.locator('[data-metric=waterLevel] .chart');
    await chart.locator('canvas').waitFor();
    await expect
      .poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 20_000 })
      .toBeGreaterThan(0);
    expect(await page.locator('[data-test=device] .card .grade').count()).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: join(SHOTS, 'device.png'), fullPage: true });
  });

  it('switches to English', async () => {
    await page.click('header [data-test=lang]');
    await page.locator('[data-nav=board]', { hasText: 'Alert board' }).waitFor();
    expect(await page.locator('[data-nav=devices]').textContent()).toBe('Devices');
    await page.goto(`${p.httpUrl}/#/overview`);
    await page.locator('[data-test=overview]').waitFor();
    expect(await page.locator('h2').first().textContent()).toBe('Overview');
    await page.screenshot({ path: join(SHOTS, 'overview-en.png'), fullPage: true });
  });
});
