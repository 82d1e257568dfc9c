import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, end, publish } from './helpers/mqtt';
import { eventually } from './helpers/pipeline';
import { freePort, startTs, waitForPort, type Child } from './helpers/process';

/**
 * `npm start` as an operator runs it, with no GANZHI_MQTT_HOST and a permissive shell umask:
 * every listener binds loopback, and everything it writes under the data directory (and the audit
 * key beside it) is the process owner's alone: files 0600, directories 0700.
 */
let root = '';
let child: Child | undefined;
afterAll(async () => {
  if (child && child.proc.exitCode === null) {
    child.proc.kill('SIGTERM');
    await child.exited;
  }
  if (root) await rm(root, { recursive: true, force: true });
});

async function walk(dir: string): Promise<string[]> {
  const out = [dir];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

describe('quick-start hygiene', () => {
  it('binds loopback by default and keeps data files 0600 and directories 0700', async () => {
    root = await mkdtemp(join(tmpdir(), 'ganzhi-hygiene-'));
    const dataDir = join(root, 'site', 'data');
    const env = {
      GANZHI_DATA_DIR: dataDir,
      GANZHI_MQTT_PORT: String(await freePort()),
      GANZHI_MQTT_WS_PORT: String(await freePort()),
      GANZHI_HTTP_PORT: String(await freePort()),
      GANZHI_AUDIT_CHECKPOINT_CRON: '* * * * * *',
      GANZHI_LOG_LEVEL: 'info',
    };
    delete (process.env as Record<string, string | undefined>).GANZHI_MQTT_HOST;
    child = startTs('services/all/src/main.ts', env);
    await waitForPort(Number(env.GANZHI_MQTT_PORT), child);
    await waitForPort(Number(env.GANZHI_HTTP_PORT), child);
    // the log line may reach us after the ports open (stdout is written asynchronously)
    const listening = /"host":"127\.0\.0\.1"[^\n]*gateway listening|gateway listening[^\n]*"host":"127\.0\.0\.1"/;
    await eventually(() => /gateway listening/.test(child!.output()), 30_000, 'the gateway listening line');
    expect(child.output()).toMatch(listening);

    // make it write: a reading, an alert, a checkpoint
    const gauge = await connect(`mqtt://127.0.0.1:${env.GANZHI_MQTT_PORT}`, 'gauge-001');
    await publish(gauge, 'devices/gauge-001/telemetry', JSON.stringify({ waterLevel: 15.5 }));
    await end(gauge);
    await eventually(async () => (await stat(join(dataDir, 'audit', 'checkpoints.ndjson')).catch(() => undefined)) !== undefined, 30_000, 'a checkpoint');

    const paths = await walk(dataDir);
    expect(paths.some((p) => p.endsWith('ganzhi.duckdb'))).toBe(true);
    expect(paths.some((p) => p.includes(`${join(dataDir, 'bus')}/`))).toBe(true);
    for (const p of paths) {
      const s = await stat(p);
      expect([p, (s.mode & 0o777).toString(8)]).toEqual([p, s.isDirectory() ? '700' : '600']);
    }
    const key = await stat(join(root, 'site', 'ganzhi-audit-keys.json'));
    expect((key.mode & 0o777).toString(8)).toBe('600');
  }, 120_000);
});
