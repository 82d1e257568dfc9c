import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGanzhiError } from '@ganzhi/schemas';
import { loadPipelineConfig } from '@ganzhi/all';
import { connect, end, publish } from './helpers/mqtt';
import { eventually, startPipeline, type RunningPipeline } from './helpers/pipeline';

/** The operators' HTTP API over real HTTP: the routes the console stands on, their errors, OpenAPI, sessions, HTTPS. */
let p: RunningPipeline;
beforeAll(async () => {
  p = await startPipeline();
});
afterAll(async () => {
  await p?.stop();
});

const basic = (user: string, password = `demo-${user}`) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
async function get(path: string, headers: Record<string, string> = { authorization: basic('op-alice') }) {
  const res = await fetch(`${p.httpUrl}${path}`, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

const NEW_ROUTES = ['/api/devices', '/api/devices/gauge-001', '/api/deadletters', '/api/overview', '/api/session'];

describe('the HTTP API', () => {
  it('publishes an OpenAPI 3 description that a validator accepts, listing every route', async () => {
    const { status, body } = await get('/api/openapi.json', {});
    expect(status).toBe(200);
    const verdict = await new Validator().validate(body as Parameters<Validator["validate"]>[0]);
    expect(verdict.errors ?? []).toEqual([]);
    expect(verdict.valid).toBe(true);
    expect(body.openapi).toMatch(/^3\./);
    for (const path of ['/api/alerts', '/api/alerts/{alertId}/dispatch', '/api/devices', '/api/devices/{id}', '/api/deadletters', '/api/overview', '/api/silences', '/api/readings/range', '/api/session']) {
      expect(Object.keys(body.paths)).toContain(path);
    }
    const docs = await fetch(`${p.httpUrl}/api/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
  });

  it.each(NEW_ROUTES)('refuses %s without credentials: 401 with a WWW-Authenticate challenge', async (path) => {
    const r = await get(path, {});
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('GANZHI_ERR_API_AUTH');
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm="ganzhi"/);
    const wrong = await get(path, { authorization: basic('op-alice', 'wrong') });
    expect(wrong.status).toBe(401);
    // the console asks for a Bearer challenge, so that browsers show no Basic dialog
    const fromConsole = await get(path, { 'x-requested-with': 'ganzhi-console' });
    expect(fromConsole.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it.each([
    ['/api/devices?kind=bogus', 'kind'],
    ['/api/devices?online=maybe', 'online'],
    ['/api/devices/has%20space', 'id'],
    ['/api/deadletters?limit=-3', 'limit'],
    ['/api/deadletters?code=oops', 'code'],
    ['/api/deadletters?from=yesterday', 'from'],
    ['/api/alerts?kind=bogus', 'kind'],
    ['/api/alerts?open=perhaps', 'open'],
    ['/api/readings/latest?kind=bogus', 'kind'],
    ['/api/readings/range?deviceId=gauge-001', 'metric'],
    ['/api/readings/range?deviceId=gauge-001&metric=waterLevel&from=2026-13-45', 'from'],
  ])('answers bad input %s with 400 naming the field %s', async (path, field) => {
    const r = await get(path);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('GANZHI_ERR_API_BAD_REQUEST');
    expect(r.body.error.fields).toContain(field);
    expect(r.body.error.message).toContain(field);
  });

  it('answers a wrong method with 405 and Allow, an unknown path with 404', async () => {
    const wrong = await fetch(`${p.httpUrl}/api/alerts`, { method: 'PUT', headers: { authorization: basic('op-alice') } });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toContain('GET');
    const none = await fetch(`${p.httpUrl}/api/nothing-here`, { headers: { authorization: basic('op-alice') } });
    expect(none.status).toBe(404);
  });

  it('asks for an assignee to dispatch and a note to resolve: 400 naming the field', async () => {
    const post = (action: string, body: unknown) =>
      fetch(`${p.httpUrl}/api/alerts/gauge-001:river-flood-level:x/${action}`, { method: 'POST', headers: { authorization: basic('op-alice'), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const d = await post('dispatch', {});
    expect(d.status).toBe(400);
    expect(((await d.json()) as any).error.fields).toEqual(['assignee']);
    const r = await post('resolve', { note: 42 });
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).error.fields).toEqual(['note']);
  });

  it('logs in a browser with an HttpOnly cookie, accepts the token as a bearer too, and logs out', async () => {
    const bad = await fetch(`${p.httpUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'op-alice', password: 'nope' }) });
    expect(bad.status).toBe(401);
    const login = await fetch(`${p.httpUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'op-alice', password: 'demo-op-alice' }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^ganzhi_session=[^;]+;/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const session = (await login.json()) as any;
    expect(session.operator.id).toBe('op-alice');
    expect(session.allowed).toContain('alerts:acknowledge');
    const pair = cookie.split(';')[0]!;
    expect((await get('/api/session', { cookie: pair })).body.operator.id).toBe('op-alice');
    expect((await get('/api/overview', { authorization: `Bearer ${session.token}` })).status).toBe(200);
    expect((await get('/api/overview', { authorization: `Bearer ${session.token.slice(0, -2)}xx` })).status).toBe(401);
    const out = await fetch(`${p.httpUrl}/api/session`, { method: 'DELETE', headers: { cookie: pair } });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/ganzhi_session=;/);
    expect((await get('/api/session', { cookie: pair })).status).toBe(401);
  });

  it("lists devices with the gateway's view of their connection: connected, then disconnected after a clean DISCONNECT without a last will", async () => {
    const device = await connect(p.mqttUrl, 'air-001'); // no last will
    await publish(device, 'devices/air-001/telemetry', JSON.stringify({ pm25: 35, pm10: 50 }));
    const listed = await eventually(async () => {
      const r = await get('/api/devices?kind=air_monitor');
      const d = r.body.devices.find((x: any) => x.id === 'air-001');
      return d?.connection.state === 'connected' && d.latest.some((l: any) => l.metric === 'pm25') && r;
    });
    expect(listed.body.devices.every((d: any) => d.kind === 'air_monitor')).toBe(true);
    expect(JSON.stringify(listed.body)).not.toContain('scrypt'); // no secrets
    expect((await get('/api/devices?online=true')).body.devices.map((d: any) => d.id)).toContain('air-001');
    await end(device); // a clean DISCONNECT: no will is published
    const gone = await eventually(async () => {
      const d = (await get('/api/devices/air-001')).body.device;
      return d?.connection.state === 'disconnected' && d;
    });
    expect(gone.connection.since).toBeGreaterThan(0);
    expect(gone.connection.lastMessageAt).toBeGreaterThan(0);
    expect((await get('/api/devices?online=false')).body.devices.map((d: any) => d.id)).toContain('air-001');
    expect((await get('/api/devices/nobody')).status).toBe(404);
  });

  it("shows a device's open alerts and the threshold bands of its rules (a gauge's own levels)", async () => {
    const gauge = await connect(p.mqttUrl, 'gauge-001');
    try {
      await publish(gauge, 'devices/gauge-001/telemetry', JSON.stringify({ waterLevel: 15.5 }));
    } finally {
      await end(gauge);
    }
    const d = await eventually(async () => {
      const dev = (await get('/api/devices/gauge-001')).body.device;
      return dev?.openAlerts > 0 && dev;
    });
    expect(d.topLevel).toBe('red');
    expect(d.alerts[0]).toMatchObject({ ruleId: 'river-flood-level', level: 'red' });
    const flood = d.thresholds.filter((t: any) => t.ruleId === 'river-flood-level');
    expect(flood).toEqual(
      expect.arrayContaining([
        { ruleId: 'river-flood-level', metric: 'waterLevel', level: 'yellow', value: 12.5, direction: 'above' },
        { ruleId: 'river-flood-level', metric: 'waterLevel', level: 'orange', value: 14, direction: 'above' },
        { ruleId: 'river-flood-level', metric: 'waterLevel', level: 'red', value: 15.2, direction: 'above' },
      ]),
    );
    const overview = await eventually(async () => {
      const o = (await get('/api/overview')).body;
      return o.openAlerts.byLevel.red >= 1 && o;
    });
    expect(overview.openAlerts.byKind.river_gauge).toBeGreaterThanOrEqual(1);
    expect(overview.openAlerts.bySite['riverside-north']).toBeGreaterThanOrEqual(1);
    expect(overview.raisedPerHour).toHaveLength(24);
    expect(overview.raisedPerHour.reduce((n: number, h: any) => n + h.count, 0)).toBeGreaterThanOrEqual(1);
    expect(overview.devices.registered).toBe(p.registry.devices().length);
    expect(overview.ingest.storedReadings).toBeGreaterThanOrEqual(0);
  });

  it('accepts times as ISO 8601 as well as epoch milliseconds', async () => {
    const to = Date.now() + 60_000;
    const from = to - 3600_000;
    const q = (f: string, t: string) => get(`/api/readings/range?deviceId=gauge-001&metric=waterLevel&bucketMs=60000&from=${encodeURIComponent(f)}&to=${encodeURIComponent(t)}`);
    // The gauge's reading of the test above reaches the store within the writer's linger: the
    // alert that test waited for never waits for the store.
    const epoch = await eventually(async () => {
      const r = await q(String(from), String(to));
      return r.status === 200 && r.body.buckets?.length > 0 && r;
    });
    const iso = await q(new Date(from).toISOString(), new Date(to).toISOString().replace('Z', '+00:00'));
    expect(iso.body).toEqual(epoch.body);
  });

  it('keeps the recent dead letters with their reason and original payload, filterable by device, stage and code', async () => {
    const device = await connect(p.mqttUrl, 'air-001');
    try {
      await publish(device, 'devices/air-001/telemetry', '{not json');
    } finally {
      await end(device);
    }
    const r = await eventually(async () => {
      const x = await get('/api/deadletters?deviceId=air-001&code=GANZHI_ERR_NORM_NOT_JSON');
      return x.body.deadLetters?.length > 0 && x;
    });
    expect(r.body.deadLetters[0]).toMatchObject({ stage: 'normalizer', code: 'GANZHI_ERR_NORM_NOT_JSON', deviceId: 'air-001' });
    expect(JSON.stringify(r.body.deadLetters[0].source.value)).toContain('{not json');
    expect((await get('/api/deadletters?stage=gateway')).body.deadLetters).toEqual([]);
    const since = new Date(Date.now() + 3600_000).toISOString();
    expect((await get(`/api/deadletters?from=${since}`)).body.deadLetters).toEqual([]);
  });

  it('creates a silence with an ISO 8601 end time, and names the bad field of a bad one', async () => {
    const post = (body: unknown) => fetch(`${p.httpUrl}/api/silences`, { method: 'POST', headers: { authorization: basic('op-bob'), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const endsAt = new Date(Date.now() + 3600_000).toISOString();
    const ok = await post({ match: { site: 'berth-3' }, endsAt, comment: 'crane inspection' });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as any).silence.endsAt).toBe(Date.parse(endsAt));
    const none = await post({ match: {}, durationMinutes: 5 });
    expect(none.status).toBe(400);
    expect(((await none.json()) as any).error.fields).toContain('match');
    const past = await post({ match: { site: 'x' }, endsAt: '2001-01-01T00:00:00Z' });
    expect(((await past.json()) as any).error.fields).toContain('endsAt');
  });
});

describe('HTTPS', () => {
  it('refuses to start with a missing certificate file, naming the variable', () => {
    let caught: unknown;
    try {
      loadPipelineConfig({ GANZHI_HTTP_TLS_CERT_FILE: '/nonexistent/cert.pem', GANZHI_HTTP_TLS_KEY_FILE: '/nonexistent/key.pem' });
    } catch (err) {
      caught = err;
    }
    expect(isGanzhiError(caught, 'GANZHI_ERR_CFG_INVALID')).toBe(true);
    expect((caught as Error).message).toContain('GANZHI_HTTP_TLS_CERT_FILE');
  });

  it('serves the API over TLS when a certificate and key are configured, with a Secure session cookie', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ganzhi-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    const tls = await startPipeline({ env: { GANZHI_HTTP_TLS_CERT_FILE: cert, GANZHI_HTTP_TLS_KEY_FILE: key } });
    try {
      const port = tls.pipeline.api!.port();
      const res = await new Promise<{ status: number; cookie: string; body: string }>((resolve, reject) => {
        const req = httpsRequest(
          { host: '127.0.0.1', port, path: '/api/session', method: 'POST', ca: execFileSync('cat', [cert]), headers: { 'content-type': 'application/json' } },
          (r) => {
            let body = '';
            r.on('data', (c) => (body += c));
            r.on('end', () => resolve({ status: r.statusCode!, cookie: String(r.headers['set-cookie']), body }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ username: 'op-alice', password: 'demo-op-alice' }));
      });
      expect(res.status).toBe(200);
      expect(res.cookie).toMatch(/Secure/);
      // plain HTTP on the TLS port gets no answer from the API
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    } finally {
      await tls.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
