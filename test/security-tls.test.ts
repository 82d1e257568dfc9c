import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { followRefusals } from './helpers/audit';
import { closed, collect, end, publish, subscribe } from './helpers/mqtt';
import { eventually, startPipeline, type RunningPipeline } from './helpers/pipeline';
import { REPO_ROOT } from './helpers/process';

const run = promisify(execFile);

/**
 * MQTT over TLS (8883) and secure WebSocket with a development CA made by `npm run dev-certs`
 * (Debian's openssl), with real clients: mqtt.js and mosquitto_pub/mosquitto_sub --cafile.
 * The plain listeners are switched off. A device authenticates by its client certificate (CN =
 * device id); a certificate from another CA is refused, and so is a server the client's CA does
 * not vouch for.
 */
let dir: string;
let certs: string;
let rogue: string;
let p: RunningPipeline;
let refusals: Awaited<ReturnType<typeof followRefusals>>;
let ca: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ganzhi-tls-'));
  certs = join(dir, 'certs');
  rogue = join(dir, 'rogue');
  await run('sh', [join(REPO_ROOT, 'scripts/dev-certs.sh'), certs, 'gauge-001']);
  await run('sh', [join(REPO_ROOT, 'scripts/dev-certs.sh'), rogue, 'gauge-001']); // another CA, same CN
  ca = await readFile(join(certs, 'ca.crt'));
  p = await startPipeline({
    env: {
      GANZHI_MQTT_PLAIN: 'false',
      GANZHI_MQTT_TLS_PORT: '0',
      GANZHI_MQTT_WSS_PORT: '0',
      GANZHI_TLS_CERT: join(certs, 'server.crt'),
      GANZHI_TLS_KEY: join(certs, 'server.key'),
      GANZHI_TLS_CA: join(certs, 'ca.crt'),
    },
  });
  refusals = await followRefusals(p.bus);
}, 60_000);
afterAll(async () => {
  await refusals?.close();
  await p?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const ports = () => p.pipeline.gateway.ports();

function open(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...options });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
    c.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

describe('TLS listeners', () => {
  it('serves only TLS when the plain listeners are off', () => {
    expect(ports()).toMatchObject({ mqtt: 0, ws: 0 });
    expect(ports().mqtts).toBeGreaterThan(0);
    expect(ports().wss).toBeGreaterThan(0);
  });

  it('takes mosquitto_pub over TLS (--cafile) end to end: a red alert that mosquitto_sub receives over TLS', async () => {
    const port = String(ports().mqtts);
    const tls = ['-h', '127.0.0.1', '-p', port, '--cafile', join(certs, 'ca.crt')];
    const subscribed = new Promise<void>((resolve) =>
      p.pipeline.gateway.broker!.on('subscribe', (_subs, client) => {
        if (client?.id === 'op-alice-tls') resolve();
      }),
    );
    const sub = execFile('mosquitto_sub', [...tls, '-u', 'op-alice', '-P', 'demo-op-alice', '-i', 'op-alice-tls', '-q', '1', '-v', '-C', '1', '-W', '30', '-t', 'alerts/red/river_gauge/gauge-001/#']);
    let out = '';
    sub.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const subDone = new Promise<number | null>((resolve) => sub.once('close', (code) => resolve(code)));
    await subscribed;
    await run('mosquitto_pub', [...tls, '-u', 'gauge-001', '-P', 'demo-gauge-001', '-i', 'gauge-001', '-q', '1', '-t', 'devices/gauge-001/telemetry', '-m', '{"waterLevel": 15.5}']);
    expect(await subDone).toBe(0);
    expect(out).toMatch(/^alerts\/red\/river_gauge\/gauge-001\/\S+ \{.*"level":"red"/);
  });

  it('is refused by a client whose CA does not vouch for the server (mosquitto_pub with the wrong --cafile)', async () => {
    const err = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(ports().mqtts), '--cafile', join(rogue, 'ca.crt'), '-u', 'gauge-001', '-P', 'demo-gauge-001', '-t', 'devices/gauge-001/telemetry', '-m', '{}']).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(err).toBeDefined();
    expect(err!.code).not.toBe(0);
  });

  it('authenticates a device by its client certificate alone (no password) over mqtts', async () => {
    const c = await open(`mqtts://127.0.0.1:${ports().mqtts}`, {
      ca,
      cert: await readFile(join(certs, 'gauge-001.crt')),
      key: await readFile(join(certs, 'gauge-001.key')),
      clientId: 'gauge-001-cert',
    });
    try {
      await publish(c, 'devices/gauge-001/telemetry', JSON.stringify({ waterLevel: 4.321 })); // a PUBACK: on the bus as gauge-001
      await eventually(async () => (await p.store.latest({ deviceId: 'gauge-001', metric: 'waterLevel' })).some((r) => r.value === 4.321));
      // the certificate names gauge-001: it may not act as anyone else (the connection is closed)
      c.publish('devices/gauge-002/telemetry', '{}', { qos: 1 });
      await closed(c);
    } finally {
      await end(c);
    }
  });

  it('authenticates mosquitto_pub by its client certificate (--cert/--key, no username), as the README shows', async () => {
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(ports().mqtts), '--cafile', join(certs, 'ca.crt'), '--cert', join(certs, 'gauge-001.crt'), '--key', join(certs, 'gauge-001.key'), '-q', '1', '-t', 'devices/gauge-001/telemetry', '-m', '{"waterLevel": 4.654}']);
    await eventually(async () => (await p.store.latest({ deviceId: 'gauge-001', metric: 'waterLevel' })).some((r) => r.value === 4.654));
    // the rogue CA's certificate for the same CN is refused
    const err = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(ports().mqtts), '--cafile', join(certs, 'ca.crt'), '--cert', join(rogue, 'gauge-001.crt'), '--key', join(rogue, 'gauge-001.key'), '-q', '1', '-t', 'devices/gauge-001/telemetry', '-m', '{"waterLevel": 4.655}']).then(
      () => undefined,
      (e: { code?: number }) => e,
    );
    expect(err?.code).toBeTruthy();
  });

  it('refuses a client certificate from another CA before MQTT starts', async () => {
    await expect(
      open(`mqtts://127.0.0.1:${ports().mqtts}`, {
        ca,
        cert: await readFile(join(rogue, 'gauge-001.crt')),
        key: await readFile(join(rogue, 'gauge-001.key')),
        clientId: 'gauge-001-rogue',
      }),
    ).rejects.toBeDefined();
    const r = await eventually(() => refusals.all.find((x) => x.code === 'GANZHI_ERR_GW_TLS'));
    expect(r.reason).toContain('not trusted');
  });

  it('refuses a certificate user who claims another username', async () => {
    const err = await open(`mqtts://127.0.0.1:${ports().mqtts}`, {
      ca,
      cert: await readFile(join(certs, 'gauge-001.crt')),
      key: await readFile(join(certs, 'gauge-001.key')),
      username: 'gauge-002',
      password: 'demo-gauge-002',
      clientId: 'gauge-002',
    }).then(
      (c) => (end(c), undefined),
      (e: { code?: number }) => e,
    );
    expect(err?.code).toBe(4);
  });

  it('serves MQTT over secure WebSocket (wss) with a password, and with a client certificate', async () => {
    const op = await open(`wss://127.0.0.1:${ports().wss}`, { ca, username: 'op-alice', password: 'demo-op-alice', clientId: 'op-alice-wss' });
    const dev = await open(`wss://127.0.0.1:${ports().wss}`, {
      ca,
      cert: await readFile(join(certs, 'gauge-001.crt')),
      key: await readFile(join(certs, 'gauge-001.key')),
      clientId: 'gauge-001-wss',
    });
    try {
      await subscribe(op, 'alerts/#');
      const got = collect(op, (all) => all.some((m) => m.topic.startsWith('alerts/red/river_gauge/gauge-001/')));
      await publish(dev, 'devices/gauge-001/telemetry', JSON.stringify({ waterLevel: 15.6 }));
      expect((await got).length).toBeGreaterThan(0);
    } finally {
      await end(op, dev);
    }
  });
});
