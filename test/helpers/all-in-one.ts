import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, connect, end, publish, subscribe } from './mqtt';
import { eventually } from './pipeline';
import { freePort, startNode, type Child } from './process';

export interface AllInOne {
  child: Child;
  dir: string;
  mqttPort: number;
  httpPort: number;
  opsPort: number;
  ops(path: string): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * The all-in-one process (`npm start`'s) on loopback, free ports and a temp data directory:
 * from the sources through tsx, or from the build (`dist/services/all/main.js`) with plain node.
 * Resolves once /readyz answers 200.
 */
export async function startAllInOne(options: { built?: boolean; env?: Record<string, string> } = {}): Promise<AllInOne> {
  const dir = await mkdtemp(join(tmpdir(), 'ganzhi-aio-'));
  const [mqttPort, httpPort, opsPort] = [await freePort(), await freePort(), await freePort()];
  const env = {
    GANZHI_DATA_DIR: dir,
    GANZHI_MQTT_HOST: '127.0.0.1',
    GANZHI_MQTT_PORT: String(mqttPort),
    GANZHI_MQTT_WS_PORT: '0',
    GANZHI_HTTP_PORT: String(httpPort),
    GANZHI_OPS_HOST: '127.0.0.1',
    GANZHI_OPS_PORT: String(opsPort),
    GANZHI_BUS_SYNC: 'write',
    GANZHI_LOG_LEVEL: 'warn',
    ...options.env,
  };
  const args = options.built ? ['--enable-source-maps', 'dist/services/all/main.js'] : ['--import', 'tsx', 'services/all/src/main.ts'];
  const child = startNode(args, env);
  const ops = (path: string) => fetch(`http://127.0.0.1:${opsPort}${path}`);
  const stop = async () => {
    if (child.proc.exitCode === null) {
      child.proc.kill('SIGTERM');
      await child.exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await eventually(
      async () => {
        if (child.proc.exitCode !== null) throw new Error(`exited early:\n${child.output()}`);
        return (await ops('/readyz').catch(() => undefined))?.status === 200;
      },
      90_000,
      'the all-in-one to be ready',
    );
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${child.output()}`);
  }
  return { child, dir, mqttPort, httpPort, opsPort, ops, stop };
}

/**
 * The README's example through a running pipeline: the demo gauge reports 15.5 m, above its
 * historical maximum; resolves with the red alert operator op-alice receives over MQTT.
 */
export async function redAlertThrough(mqttPort: number): Promise<{ alertId: string; level: string; deviceId: string }> {
  const url = `mqtt://127.0.0.1:${mqttPort}`;
  const operator = await connect(url, 'op-alice');
  const gauge = await connect(url, 'gauge-001');
  try {
    await subscribe(operator, 'alerts/red/#');
    const got = collect(operator, (all) => all.some((m) => m.payload.length > 0), 60_000);
    await publish(gauge, 'devices/gauge-001/telemetry', JSON.stringify({ waterLevel: 15.5 }));
    const [first] = (await got).filter((m) => m.payload.length > 0);
    return JSON.parse(first!.payload) as { alertId: string; level: string; deviceId: string };
  } finally {
    await end(operator, gauge);
  }
}
