import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startTs, waitForPort, type Child } from './helpers/process';

const children: Child[] = [];
let dir = '';
afterAll(async () => {
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

const run = (env: Record<string, string>) => {
  const child = startTs('services/notifier/src/main.ts', { GANZHI_LOG_LEVEL: 'warn', ...env });
  children.push(child);
  return child;
};

describe('the notifier alone (services/notifier/src/main.ts)', () => {
  it('serves the notifications of an alert to operators only, and stops cleanly', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ganzhi-notifier-'));
    const [port, opsPort] = [await freePort(), await freePort()];
    const child = run({ GANZHI_DATA_DIR: dir, GANZHI_HTTP_PORT: String(port), GANZHI_HTTP_HOST: '127.0.0.1', GANZHI_OPS_HOST: '127.0.0.1', GANZHI_OPS_PORT: String(opsPort) });
    await waitForPort(port, child);
    // its own ops listener exposes the notifier's series
    const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    expect(metrics).toMatch(/^ganzhi_notify_outbox_pending\{receiver_type="webhook",service="notifier"\} 0$/m);
    expect(metrics).toContain('# TYPE ganzhi_notify_deliveries_total counter');
    const url = `http://127.0.0.1:${port}/api/alerts/${encodeURIComponent('gauge-001:river-flood-level:x')}/notifications`;
    expect((await fetch(url)).status).toBe(401);
    const res = await fetch(url, { headers: { authorization: `Basic ${Buffer.from('op-alice:demo-op-alice').toString('base64')}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ alertId: 'gauge-001:river-flood-level:x', notifications: [] });
    child.proc.kill('SIGTERM');
    expect(await child.exited).toMatchObject({ code: 0 });
  });

  it('refuses to start on a bad routing file, naming the file and the field', async () => {
    const routes = join(dir, 'bad-routes.json');
    await writeFile(routes, JSON.stringify({ version: 1, route: { routes: [{ match: { grade: ['purple'] }, to: ['group:river-duty'] }] } }));
    const child = run({ GANZHI_DATA_DIR: dir, GANZHI_NOTIFY_ROUTES_FILE: routes });
    expect(await child.exited).toMatchObject({ code: 1 });
    expect(child.output()).toContain('GANZHI_ERR_NOTIFY_ROUTES');
    expect(child.output()).toContain(`${routes}: route.routes.0.match.grade.0`);
  });

  it('refuses to start when a receiver secret is missing, naming the variable', async () => {
    const routes = join(dir, 'secret-routes.json');
    await writeFile(routes, JSON.stringify({ version: 1, receivers: [{ id: 'hook', type: 'webhook', url: { env: 'GANZHI_TEST_UNSET_HOOK_URL' } }], route: { to: ['hook'] } }));
    const child = run({ GANZHI_DATA_DIR: dir, GANZHI_NOTIFY_ROUTES_FILE: routes });
    expect(await child.exited).toMatchObject({ code: 1 });
    expect(child.output()).toMatch(/GANZHI_ERR_NOTIFY_SECRET: .*receiver hook url: environment variable GANZHI_TEST_UNSET_HOOK_URL is not set/);
  });

  it('refuses to start when the SMTP URL file cannot be read, naming the variable', async () => {
    dir ||= await mkdtemp(join(tmpdir(), 'ganzhi-notifier-'));
    const child = run({ GANZHI_DATA_DIR: dir, GANZHI_NOTIFY_SMTP_URL_FILE: join(dir, 'no-such-smtp-url') });
    expect(await child.exited).toMatchObject({ code: 1 });
    expect(child.output()).toMatch(/GANZHI_ERR_NOTIFY_SECRET: .*GANZHI_NOTIFY_SMTP_URL_FILE: cannot read the secret file .*no-such-smtp-url/);
  });
});
