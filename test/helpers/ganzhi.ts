import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startTs, waitForPort, type Child } from './process';

export interface GanzhiProcess {
  child: Child;
  env: Record<string, string>;
  dir: string;
  mqttUrl: string;
  httpUrl: string;
  mqttPort: number;
  /** True while the process has not exited. */
  alive(): boolean;
  /** SIGTERM, then SIGKILL after a bound; removes the data directory unless `keepData`. */
  stop(keepData?: boolean): Promise<void>;
}

/**
 * `npm start` (services/all/src/main.ts) as a separate process on loopback ports and its own data
 * directory, so that a test can watch it survive (or not) what its peers do.
 */
export async function startGanzhiProcess(env: Record<string, string> = {}, existingDir?: string): Promise<GanzhiProcess> {
  const dir = existingDir ?? (await mkdtemp(join(tmpdir(), 'ganzhi-proc-')));
  const full = {
    GANZHI_DATA_DIR: dir,
    GANZHI_MQTT_HOST: '127.0.0.1',
    GANZHI_MQTT_PORT: String(await freePort()),
    GANZHI_MQTT_WS_PORT: String(await freePort()),
    GANZHI_HTTP_PORT: String(await freePort()),
    GANZHI_LOG_LEVEL: 'warn',
    ...env,
  };
  const child = startTs('services/all/src/main.ts', full);
  await waitForPort(Number(full.GANZHI_MQTT_PORT), child);
  await waitForPort(Number(full.GANZHI_HTTP_PORT), child);
  return {
    child,
    env: full,
    dir,
    mqttPort: Number(full.GANZHI_MQTT_PORT),
    mqttUrl: `mqtt://127.0.0.1:${full.GANZHI_MQTT_PORT}`,
    httpUrl: `http://127.0.0.1:${full.GANZHI_HTTP_PORT}`,
    alive: () => child.proc.exitCode === null && child.proc.signalCode === null,
    async stop(keepData = false) {
      if (child.proc.exitCode === null && child.proc.signalCode === null) {
        child.proc.kill('SIGTERM');
        const killer = setTimeout(() => child.proc.kill('SIGKILL'), 10_000);
        await child.exited;
        clearTimeout(killer);
      }
      if (!keepData && !existingDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** HTTP Basic header for a demo-style password (`demo-<id>`). */
export const basicAuth = (id: string, password = `demo-${id}`) => ({ authorization: `Basic ${Buffer.from(`${id}:${password}`).toString('base64')}` });
