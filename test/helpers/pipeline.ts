import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAlertsCore, type AuditKeyring } from '@ganzhi/alerts';
import { readTls } from '@ganzhi/api';
import { buildPipeline, loadPipelineConfig, openBus, openStore, type Pipeline } from '@ganzhi/all';
import type { Bus } from '@ganzhi/bus';
import { silentLogger } from '@ganzhi/log';
import { loadRegistryFile, type Registry } from '@ganzhi/registry';
import { createRuleEngine, loadRuleFiles } from '@ganzhi/rules';
import { keyringOf, newKeyringFile, registryFileOf, type DiskWatch } from '@ganzhi/runtime';
import type { Metrics } from '@ganzhi/metrics';
import type { Store } from '@ganzhi/store';

/** The protocol listeners (on by default in the all-in-one process) on ports the OS picks. */
export const PROTOCOL_PORTS_ANY = {
  GANZHI_HJ212_PORT: '0',
  GANZHI_SL651_PORT: '0',
  GANZHI_GBT26875_TCP_PORT: '0',
  GANZHI_GBT26875_UDP_PORT: '0',
} as const;

export interface RunningPipeline {
  pipeline: Pipeline;
  bus: Bus;
  store: Store;
  registry: Registry;
  /** The audit keyring the pipeline hashes and signs with (in memory, apart from the data). */
  keyring: AuditKeyring;
  dir: string;
  mqttUrl: string;
  httpUrl: string;
  /** Stops everything; `keepData` leaves the data directory for a restart. */
  stop(keepData?: boolean): Promise<void>;
}

/**
 * The whole pipeline in this process, on embedded defaults, a fresh data directory, the demo
 * registry and the default rules, on loopback ports chosen by the OS. Timer-driven sweeps are off
 * (tests call `sweep()` with their own clock).
 */
export async function startPipeline(
  options: { dir?: string; env?: Record<string, string>; now?: () => number; disk?: DiskWatch; keyring?: AuditKeyring; consoleDir?: string; metrics?: Metrics } = {},
): Promise<RunningPipeline> {
  const keyring = options.keyring ?? keyringOf(newKeyringFile('test-key'));
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'ganzhi-test-')));
  const config = loadPipelineConfig({
    GANZHI_DATA_DIR: dir,
    GANZHI_MQTT_HOST: '127.0.0.1',
    GANZHI_MQTT_PORT: '0',
    GANZHI_MQTT_WS_PORT: '0',
    GANZHI_HTTP_PORT: '0',
    GANZHI_BUS_SYNC: 'write',
    // the gateway on this thread (its broker object and its stats at hand); tests of the
    // default, the gateway on a thread of its own, ask for it (test/gateway-thread.test.ts)
    GANZHI_GATEWAY_THREAD: 'false',
    ...PROTOCOL_PORTS_ANY,
    ...options.env,
  });
  const logger = silentLogger();
  const registry = await loadRegistryFile(registryFileOf(config));
  const ruleFiles = await loadRuleFiles(config.GANZHI_RULES_DIR);
  const engine = createRuleEngine(ruleFiles);
  const bus = await openBus(config, logger);
  const store = await openStore(config, logger);
  const pipeline = await buildPipeline(
    config,
    {
      bus,
      store,
      registry,
      engine,
      ruleFiles,
      alerts: createAlertsCore({}, { keyring }),
      logger,
      keyring,
      ...(options.now ? { now: options.now } : {}),
      ...(options.disk ? { disk: options.disk } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    },
    {
      rulesSweepCron: '',
      alertsSweepCron: '',
      checkpointCron: '',
      dataDir: dir,
      httpPort: 0,
      notify: { settings: config, env: { ...process.env, ...options.env }, tickMs: options.now ? 0 : 200 },
      api: { ...(readTls(config) ? { tls: readTls(config)! } : {}), ...(options.consoleDir ? { consoleDir: options.consoleDir } : {}) },
      // GANZHI_GATEWAY_THREAD as `npm start` reads it: the gateway on a thread of its own
      ...(config.GANZHI_GATEWAY_THREAD ? { gatewayThread: { registryFile: registryFileOf(config) } } : {}),
    },
  );
  await pipeline.start();
  return {
    pipeline,
    bus,
    store,
    registry,
    keyring,
    dir,
    mqttUrl: `mqtt://127.0.0.1:${pipeline.gateway.ports().mqtt}`,
    httpUrl: `${config.GANZHI_HTTP_TLS_CERT_FILE ? 'https' : 'http'}://127.0.0.1:${pipeline.api!.port()}`,
    async stop(keepData = false) {
      await pipeline.close();
      await bus.close();
      await store.close();
      if (!keepData) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
