import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HASH_DOMAIN, canonicalJson, type AuditKeyring } from '@ganzhi/alerts';
import { hashSecret, type RegistryFile } from '@ganzhi/registry';
import { keyringOf, newKeyringFile } from '@ganzhi/runtime';
import type { AlertChange, AuditCheckpoint } from '@ganzhi/schemas';
import { connect, end, publish } from './helpers/mqtt';
import { eventually, startPipeline, type RunningPipeline } from './helpers/pipeline';
import { writeGaugeRegistry } from './helpers/registry';
import { REPO_ROOT } from './helpers/process';

const run = promisify(execFile);

/**
 * The audit trail detects every rewrite of the DuckDB store, each named with the device, the
 * event and why: a flattened column edited, the change JSON edited, the newest events deleted,
 * a middle event deleted, an event edited and re-hashed (without the key), and a replaced
 * checkpoint. Six gauges build a history; five are tampered with, one each way; the sixth must
 * stay clean. `npm run audit:verify` names the first bad event, reading the API's port from the
 * server's own variables.
 */
const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };
let root: string;
let dir: string;
let registryFile: string;
let keyring: AuditKeyring;
let p: RunningPipeline;
let exported: AuditCheckpoint;
const devices = ['gauge-000', 'gauge-001', 'gauge-002', 'gauge-003', 'gauge-004', 'gauge-005'];

const auth = (user: string) => `Basic ${Buffer.from(`${user}:demo-${user}`).toString('base64')}`;
async function http(method: string, path: string, user: string, body?: unknown) {
  const res = await fetch(`${p.httpUrl}${path}`, {
    method,
    headers: { authorization: auth(user), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** Runs SQL on the DuckDB file of a stopped pipeline, as someone with access to the data directory would. */
async function sql(statements: string[]): Promise<Record<string, unknown>[][]> {
  const db = await DuckDBInstance.create(join(dir, 'ganzhi.duckdb'));
  const conn = await db.connect();
  try {
    const out: Record<string, unknown>[][] = [];
    for (const s of statements) out.push((await conn.runAndReadAll(s)).getRowObjectsJS() as Record<string, unknown>[]);
    return out;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

async function changesOf(deviceId: string): Promise<AlertChange[]> {
  const [rows] = await sql([`SELECT change FROM alert_events WHERE device_id = '${deviceId}'`]);
  return rows!.map((r) => JSON.parse(String(r['change'])) as AlertChange).sort((a, b) => a.deviceSeq! - b.deviceSeq!);
}

const q = (s: string) => `'${s.replaceAll("'", "''")}'`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ganzhi-audit-'));
  dir = join(root, 'data');
  registryFile = join(root, 'registry.json');
  await writeGaugeRegistry(registryFile, devices.length);
  const reg = JSON.parse(await readFile(registryFile, 'utf8')) as RegistryFile;
  reg.operators.push(
    { id: 'op-sup', roles: ['supervisor'], secret: await hashSecret('demo-op-sup', TEST_SCRYPT) },
    { id: 'op-root', roles: ['admin'], secret: await hashSecret('demo-op-root', TEST_SCRYPT) },
  );
  await writeFile(registryFile, JSON.stringify(reg));
  keyring = keyringOf(newKeyringFile('k-test'));
  p = await startPipeline({ dir, keyring, env: { GANZHI_REGISTRY_FILE: registryFile } });

  // a history per gauge: blue/yellow raise, orange and red upgrades (and a fast-rise alert), acknowledged by op-alice
  for (const id of devices) {
    const c = await connect(p.mqttUrl, id);
    for (const level of [12.6, 14.1, 15.3]) await publish(c, `devices/${id}/telemetry`, JSON.stringify({ waterLevel: level }));
    await end(c);
  }
  for (const id of devices) {
    const flood = await eventually(async () => (await p.store.alertHistory({ deviceId: id })).find((c) => c.ruleId === 'river-flood-level' && c.level === 'red'));
    expect((await http('POST', `/api/alerts/${encodeURIComponent(flood.alertId)}/acknowledge`, 'op-alice', {})).status).toBe(200);
  }
  // checkpoint the heads (the schedule is off in tests), wait until the store holds every checkpointed event
  await p.pipeline.alerts.checkpoint();
  const lines = (await readFile(join(dir, 'audit', 'checkpoints.ndjson'), 'utf8')).trim().split('\n');
  const cp = JSON.parse(lines[lines.length - 1]!) as AuditCheckpoint;
  expect(cp.heads.map((h) => h.deviceId).sort()).toEqual(devices);
  for (const h of cp.heads) {
    await eventually(async () => (await p.store.alertHistory({ deviceId: h.deviceId })).some((c) => c.deviceSeq === h.seq));
  }
  // before any tampering: intact, and an operator exports a signed checkpoint to keep elsewhere
  const ok = await eventually(async () => {
    const r = await http('GET', '/api/audit/verify', 'op-sup');
    return r.body.checkpointed === devices.length && r;
  });
  expect(ok).toMatchObject({ status: 200, body: { ok: true, problems: [] } });
  exported = (await http('GET', '/api/audit/checkpoint', 'op-root')).body as AuditCheckpoint;
  expect(exported.heads).toHaveLength(devices.length);
  await p.stop(true);

  // --- the rewrites, one per gauge, straight into the DuckDB file ---
  const g2 = await changesOf('gauge-002');
  const g3 = await changesOf('gauge-003');
  const g4 = await changesOf('gauge-004');
  const newest = g2[g2.length - 1]!;
  const middle = g3.find((c) => c.deviceSeq === 2)!;
  const acked = g4.find((c) => c.event.type === 'acknowledged')!;
  const forged: AlertChange = { ...acked, event: { ...acked.event, actor: 'op-mallory' } };
  const { hash: _h, ...rest } = forged;
  forged.hash = createHash('sha256').update(HASH_DOMAIN).update(canonicalJson(rest)).digest('hex'); // re-hashed as before keys
  await sql([
    // 1. a flattened column: SQL now says op-mallory acknowledged, the change JSON still says op-alice
    `UPDATE alert_events SET actor = 'op-mallory' WHERE device_id = 'gauge-000' AND event_type = 'acknowledged'`,
    // 2. the change JSON (and its column, consistently), without re-hashing
    `UPDATE alert_events SET actor = 'op-mallory', change = replace(change::VARCHAR, '"actor":"op-alice"', '"actor":"op-mallory"')::JSON WHERE device_id = 'gauge-001' AND event_type = 'acknowledged'`,
    // 3. the newest event of a device (no later link names it)
    `DELETE FROM alert_events WHERE alert_id = ${q(newest.alertId)} AND seq = ${newest.seq}`,
    // 4. an event in the middle
    `DELETE FROM alert_events WHERE alert_id = ${q(middle.alertId)} AND seq = ${middle.seq}`,
    // 5. an edit with its hash recomputed (SHA-256, as anyone without the key can)
    `UPDATE alert_events SET actor = 'op-mallory', change = ${q(JSON.stringify(forged))}::JSON WHERE alert_id = ${q(acked.alertId)} AND seq = ${acked.seq}`,
  ]);
  p = await startPipeline({ dir, keyring, env: { GANZHI_REGISTRY_FILE: registryFile } });
}, 180_000);

afterAll(async () => {
  await p?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('audit trail against rewrites of the DuckDB store', () => {
  it('detects and names each rewrite, and leaves the untouched device clean', async () => {
    const { status, body } = await http('GET', '/api/audit/verify', 'op-sup');
    expect(status).toBe(409);
    const by: Record<string, any> = Object.fromEntries((body.problems as Array<{ deviceId: string }>).map((x) => [x.deviceId, x]));
    expect(by['gauge-000']).toMatchObject({ problem: 'column-mismatch' });
    expect(by['gauge-000'].detail).toContain('actor');
    expect(by['gauge-000'].detail).toContain('op-mallory');
    expect(by['gauge-001']).toMatchObject({ problem: 'hash-mismatch' });
    expect(by['gauge-002']).toMatchObject({ problem: 'missing-newest' });
    expect(by['gauge-003']).toMatchObject({ problem: 'seq-gap', chain: 'device' });
    expect(by['gauge-004']).toMatchObject({ problem: 'hash-mismatch' });
    expect(by['gauge-005']).toBeUndefined();
    expect(body.first).toMatchObject({ deviceId: 'gauge-000', problem: 'column-mismatch' });
    expect(body.first.alertId).toMatch(/^gauge-000:river-flood-level:/);
  });

  it('checks the store against an exported checkpoint, and refuses a replaced one', async () => {
    const genuine = await http('POST', '/api/audit/verify?deviceId=gauge-002', 'op-sup', { checkpoint: exported });
    expect(genuine).toMatchObject({ status: 409, body: { problems: [{ deviceId: 'gauge-002', problem: 'missing-newest' }] } });

    // someone "fixes" the checkpoint to match the truncated store
    const head = exported.heads.find((h) => h.deviceId === 'gauge-002')!;
    const replaced = { ...exported, heads: exported.heads.map((h) => (h === head ? { ...h, seq: h.seq - 1 } : h)) };
    const res = await http('POST', '/api/audit/verify?deviceId=gauge-005', 'op-sup', { checkpoint: replaced });
    expect(res).toMatchObject({ status: 409, body: { first: { problem: 'checkpoint-forged' } } });
  });

  it('refuses a forged head put on the bus', async () => {
    const h = { deviceId: 'gauge-005', seq: 1, hash: 'a'.repeat(64), at: Date.now(), keyId: 'k-test', mac: 'b'.repeat(64) };
    await p.bus.publish('ganzhi.audit-heads.v1', [{ key: h.deviceId, value: h }]);
    const res = await eventually(async () => {
      const r = await http('GET', '/api/audit/verify?deviceId=gauge-005', 'op-sup');
      return r.body.problems?.length > 0 && r;
    });
    expect(res.body.problems[0]).toMatchObject({ deviceId: 'gauge-005', problem: 'checkpoint-forged' });
  });

  it('npm run audit:verify finds the API from the server’s variables and names the first bad event', async () => {
    const port = new URL(p.httpUrl).port;
    const result = await run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/audit-verify.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, GANZHI_API_URL: '', GANZHI_HTTP_PORT: port, GANZHI_MQTT_HOST: '127.0.0.1', GANZHI_API_USER: 'op-sup', GANZHI_API_PASSWORD: 'demo-op-sup', GANZHI_REGISTRY_FILE: registryFile },
    }).then(
      () => ({ code: 0, stdout: '' }),
      (e: { code: number; stdout: string }) => e,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/first bad event: device gauge-000, alert gauge-000:river-flood-level:\S+ seq \d+.*: column-mismatch — stored column actor/);
  });

  it('npm run audit:verify --checkpoint refuses an edited line of the checkpoint file', async () => {
    const file = join(dir, 'audit', 'checkpoints.ndjson');
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    const last = JSON.parse(lines[lines.length - 1]!) as AuditCheckpoint;
    last.heads = last.heads.filter((h) => h.deviceId !== 'gauge-002');
    const edited = join(root, 'edited.ndjson');
    await writeFile(edited, `${[...lines.slice(0, -1), JSON.stringify(last)].join('\n')}\n`);
    const port = new URL(p.httpUrl).port;
    const result = await run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/audit-verify.ts'), 'gauge-005', '--checkpoint', edited], {
      cwd: REPO_ROOT,
      env: { ...process.env, GANZHI_API_URL: '', GANZHI_HTTP_PORT: port, GANZHI_MQTT_HOST: '127.0.0.1', GANZHI_API_USER: 'op-sup', GANZHI_API_PASSWORD: 'demo-op-sup', GANZHI_REGISTRY_FILE: registryFile },
    }).then(
      () => ({ code: 0, stdout: '' }),
      (e: { code: number; stdout: string }) => e,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('checkpoint-forged');
  });
});
