import { createServer, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startTs } from '../helpers/process';

let dir = '';
let blocker: Server | undefined;
afterAll(async () => {
  blocker?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** `npm start` with `env`: resolves with its exit code and what it printed, bounded in time. */
async function start(env: Record<string, string>) {
  dir ||= await mkdtemp(join(tmpdir(), 'ganzhi-startup-'));
  const child = startTs('services/all/src/main.ts', {
    GANZHI_DATA_DIR: dir,
    GANZHI_MQTT_HOST: '127.0.0.1',
    GANZHI_MQTT_PORT: String(await freePort()),
    GANZHI_MQTT_WS_PORT: String(await freePort()),
    GANZHI_HTTP_PORT: String(await freePort()),
    ...env,
  });
  const killer = setTimeout(() => child.proc.kill('SIGKILL'), 60_000);
  const { code } = await child.exited;
  clearTimeout(killer);
  return { code, output: child.output() };
}

describe('start-up errors name the variable', () => {
  it.each([
    [{ GANZHI_LOG_LEVEL: 'loud' }, 'GANZHI_LOG_LEVEL'],
    [{ GANZHI_ALERTS_SWEEP_CRON: 'every minute' }, 'GANZHI_ALERTS_SWEEP_CRON'],
    [{ GANZHI_RULES_SWEEP_CRON: '61 * * * *' }, 'GANZHI_RULES_SWEEP_CRON'],
  ])('%o stops start-up with GANZHI_ERR_CFG_INVALID naming %s, no stack trace', async (env, variable) => {
    const { code, output } = await start(env);
    expect(code).toBe(1);
    expect(output).toContain('GANZHI_ERR_CFG_INVALID');
    expect(output).toContain(variable);
    expect(output).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a port already taken names its variable', async () => {
    const port = await freePort();
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(port, '127.0.0.1', resolve));
    const { code, output } = await start({ GANZHI_MQTT_PORT: String(port) });
    expect(code).toBe(1);
    expect(output).toContain(`GANZHI_MQTT_PORT: port ${port} on 127.0.0.1 is already in use`);
  });
});
