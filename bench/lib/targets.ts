import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, freePorts, startChild, waitFor, type Child } from './proc';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PIPELINE_MAIN = join(REPO, 'services/all/src/main.ts');
const AEDES_MAIN = fileURLToPath(new URL('./aedes-broker.ts', import.meta.url));
export const MOSQUITTO_BIN = ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));

/** Stage counters of the pipeline (GET /api/stats). */
export interface PipelineCounters {
  accepted: number;
  normalized: number;
  deadLetters: number;
  rulesRead: number;
  stored: number;
  /** Batches the writer stored (stored / writerBatches = its mean batch size). */
  writerBatches: number;
  signals: number;
  alertsPublished: number;
  /** process.memoryUsage() of the pipeline, MB: where its RSS is (JS heap, or native: DuckDB, buffers). */
  memory?: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
}

/** Something the load generator publishes to: a broker or the pipeline, in its own process. */
export interface Target {
  readonly name: string;
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  /** Whether devices must authenticate (the pipeline) or connect anonymously (bare brokers). */
  readonly auth: boolean;
  /** Pipeline only: its stage counters. */
  readonly counters?: () => Promise<PipelineCounters>;
  /** Pipeline only: the whole of GET /api/stats (the bus's own counters among them). */
  readonly stats?: () => Promise<Record<string, unknown>>;
  /** Pipeline with `hj212: true` only: the HJ 212 over TCP listener's port. */
  readonly hj212Port?: number;
  stop(): Promise<void>;
}

function tcpOpen(host: string, port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(undefined));
  });
}

async function ready(child: Child, what: string, check: () => Promise<true | undefined>, timeoutMs = 60_000): Promise<void> {
  try {
    await waitFor(
      async () => {
        if (child.child.exitCode !== null) throw new Error(`${what} exited (${child.child.exitCode}): ${child.output().trim()}`);
        return check();
      },
      what,
      timeoutMs,
      100,
    );
  } catch (err) {
    await child.stop(2_000);
    throw err;
  }
}

export async function startAedes(): Promise<Target> {
  const port = await freePort();
  const child = startChild(process.execPath, ['--import', 'tsx', AEDES_MAIN, String(port)], { cwd: REPO });
  await ready(child, 'bare Aedes', () => tcpOpen('127.0.0.1', port));
  return { name: 'bare Aedes', pid: child.pid, host: '127.0.0.1', port, auth: false, stop: () => child.stop() };
}

/** Mosquitto on a loopback port with a generated config (anonymous, no persistence), or undefined when not installed. */
export async function startMosquitto(dir: string): Promise<Target | undefined> {
  if (!MOSQUITTO_BIN) return undefined;
  const port = await freePort();
  const conf = join(dir, `mosquitto-${port}.conf`);
  await writeFile(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error', ''].join('\n'));
  const child = startChild(MOSQUITTO_BIN, ['-c', conf], { cwd: dir });
  await ready(child, 'mosquitto', () => tcpOpen('127.0.0.1', port));
  return { name: 'Mosquitto', pid: child.pid, host: '127.0.0.1', port, auth: false, stop: () => child.stop() };
}

export interface PipelineTargetOptions {
  readonly name: string;
  readonly dataDir: string;
  readonly registryFile: string;
  readonly operator: { readonly user: string; readonly password: string };
  readonly sync?: 'fsync' | 'write';
  readonly kafkaBrokers?: readonly string[];
  /** Open the V8 inspector on 127.0.0.1:port (for a CPU profile of a chosen window). */
  readonly inspectPort?: number;
  /** Also run the HJ 212 over TCP listener (off otherwise). */
  readonly hj212?: boolean;
  /** Another entry point than services/all/src/main.ts (the soak's), and extra environment. */
  readonly main?: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** `node --import tsx services/all/src/main.ts` (what `npm start` runs) on loopback ports. */
export async function startPipeline(o: PipelineTargetOptions): Promise<Target> {
  const [port, httpPort, hj212Port] = (await freePorts(o.hj212 ? 3 : 2)) as [number, number, number | undefined];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GANZHI_DATA_DIR: o.dataDir,
    GANZHI_MQTT_HOST: '127.0.0.1',
    GANZHI_MQTT_PORT: String(port),
    GANZHI_MQTT_WS_PORT: '0',
    GANZHI_HTTP_PORT: String(httpPort),
    GANZHI_OPS_PORT: '0',
    GANZHI_HJ212_PORT: String(hj212Port ?? 'off'),
    GANZHI_SL651_PORT: 'off',
    GANZHI_GBT26875_TCP_PORT: 'off',
    GANZHI_GBT26875_UDP_PORT: 'off',
    GANZHI_REGISTRY_FILE: o.registryFile,
    GANZHI_BUS_SYNC: o.sync ?? 'fsync',
    GANZHI_LOG_LEVEL: 'warn',
    GANZHI_BUS: o.kafkaBrokers ? 'kafka' : 'embedded',
    ...(o.kafkaBrokers ? { KAFKA_BROKERS: o.kafkaBrokers.join(',') } : {}),
    ...o.env,
  };
  const prof = o.inspectPort ? [`--inspect=127.0.0.1:${o.inspectPort}`] : [];
  // A diagnostic: BENCH_NODE_ARGS="--trace-gc ..." adds V8/Node flags NODE_OPTIONS does not take.
  const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ').filter(Boolean) : [];
  const child = startChild(process.execPath, [...nodeArgs, ...prof, '--import', 'tsx', o.main ?? PIPELINE_MAIN], { cwd: REPO, env });
  const auth = `Basic ${Buffer.from(`${o.operator.user}:${o.operator.password}`).toString('base64')}`;
  const stats = async (): Promise<Record<string, unknown>> => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/stats`, { headers: { authorization: auth }, signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`/api/stats: HTTP ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  };
  const counters = async (): Promise<PipelineCounters> => {
    type S = Record<string, Record<string, number> | undefined>;
    const s = (await stats()) as S;
    return {
      accepted: s.gateway?.accepted ?? 0,
      normalized: s.normalizer?.readings ?? 0,
      deadLetters: s.normalizer?.deadLetters ?? 0,
      rulesRead: s.rules?.readings ?? 0,
      stored: s.writer?.readings ?? 0,
      writerBatches: s.writer?.batches ?? 0,
      signals: s.rules?.signals ?? 0,
      alertsPublished: s.gateway?.alertsPublished ?? 0,
      ...(s.memory ? { memory: { rss: mb(s.memory.rss), heapTotal: mb(s.memory.heapTotal), heapUsed: mb(s.memory.heapUsed), external: mb(s.memory.external), arrayBuffers: mb(s.memory.arrayBuffers) } } : {}),
    };
  };
  const mb = (bytes: number | undefined) => (bytes ?? 0) / 1024 / 1024;
  await ready(child, `pipeline (${o.name})`, async () => ((await counters().catch(() => undefined)) ? tcpOpen('127.0.0.1', port) : undefined), 120_000);
  return { name: o.name, pid: child.pid, host: '127.0.0.1', port, auth: true, counters, stats, ...(hj212Port === undefined ? {} : { hj212Port }), stop: () => child.stop(30_000) };
}
