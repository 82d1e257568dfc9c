import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { createEmbeddedBus, type Bus } from '@ganzhi/bus';
import type { Logger } from '@ganzhi/log';
import type { TopicName } from '@ganzhi/schemas';
import { instrumentBus, instrumentStore, type Metrics, type ObservedStore } from '@ganzhi/metrics';
import { loadRegistryFile, type Registry } from '@ganzhi/registry';
import { createDuckDbStore, createThreadedDuckDbStore, type Store } from '@ganzhi/store';
import { DEMO_REGISTRY_FILE, duckdbLingerMs, retentionOf, type RuntimeConfig } from './config';

/** The bus the config names (measured into `metrics` when given). The stages never see which. */
export async function openBus(config: RuntimeConfig, logger: Logger, clientId = 'ganzhi', metrics?: Metrics): Promise<Bus> {
  const bus = await openPlainBus(config, logger, clientId);
  return metrics ? instrumentBus(bus, metrics) : bus;
}

async function openPlainBus(config: RuntimeConfig, logger: Logger, clientId: string): Promise<Bus> {
  const log = logger.child({ component: 'bus' });
  switch (config.GANZHI_BUS) {
    case 'embedded': {
      const dir = join(config.GANZHI_DATA_DIR, 'bus');
      await mkdir(dir, { recursive: true, mode: 0o700 });
      return createEmbeddedBus({ dir, sync: config.GANZHI_BUS_SYNC, commitIntervalMs: config.GANZHI_BUS_COMMIT_INTERVAL_MS, lingerMs: config.GANZHI_BUS_LINGER_MS, maxLag: config.GANZHI_BUS_MAX_LAG, retentionByTopic: retentionClasses(config), logger: log });
    }
    case 'kafka': {
      const { createKafkaBus } = await import('@ganzhi/bus');
      const { kafkaBusOptions } = await import('./kafka-options');
      return createKafkaBus(await kafkaBusOptions(config, clientId, log));
    }
    default: {
      const never: never = config.GANZHI_BUS;
      throw new Error(`unknown bus ${String(never)}`);
    }
  }
}

/** The store the config names, measured into `metrics` and with a readiness probe when given. */
export async function openStore(config: RuntimeConfig, logger: Logger): Promise<Store>;
export async function openStore(config: RuntimeConfig, logger: Logger, metrics: Metrics): Promise<ObservedStore>;
export async function openStore(config: RuntimeConfig, logger: Logger, metrics?: Metrics): Promise<Store> {
  const store = await openPlainStore(config, logger);
  return metrics ? instrumentStore(store, metrics) : store;
}

async function openPlainStore(config: RuntimeConfig, logger: Logger): Promise<Store> {
  const log = logger.child({ component: 'store' });
  switch (config.GANZHI_STORE) {
    case 'duckdb': {
      await mkdir(config.GANZHI_DATA_DIR, { recursive: true, mode: 0o700 });
      const options = {
        path: join(config.GANZHI_DATA_DIR, 'ganzhi.duckdb'),
        memoryLimit: config.GANZHI_DUCKDB_MEMORY_LIMIT,
        lingerMs: duckdbLingerMs(config),
        maxRows: config.GANZHI_DUCKDB_MAX_ROWS,
        retention: retentionOf(config),
        logger: log,
      };
      return config.GANZHI_DUCKDB_THREAD ? createThreadedDuckDbStore(options) : createDuckDbStore({ ...options, blockingFlush: config.GANZHI_DUCKDB_BLOCKING_FLUSH });
    }
    case 'questdb': {
      const { createQuestDbStore } = await import('@ganzhi/store');
      return createQuestDbStore({
        url: config.QUESTDB_URL,
        ...(config.QUESTDB_USERNAME ? { username: config.QUESTDB_USERNAME } : {}),
        ...(config.QUESTDB_PASSWORD ? { password: config.QUESTDB_PASSWORD } : {}),
        ...(config.QUESTDB_TOKEN ? { token: config.QUESTDB_TOKEN } : {}),
        retention: retentionOf(config),
        logger: log,
      });
    }
    default: {
      const never: never = config.GANZHI_STORE;
      throw new Error(`unknown store ${String(never)}`);
    }
  }
}

/** The registry file the config names (GANZHI_REGISTRY_FILE), or the demo one. */
export function registryFileOf(config: Pick<RuntimeConfig, 'GANZHI_REGISTRY_FILE'>): string {
  return config.GANZHI_REGISTRY_FILE ?? DEMO_REGISTRY_FILE;
}

/** The registry the config names, warning loudly when it is the public demo one. */
export async function openRegistry(config: RuntimeConfig, logger: Logger): Promise<Registry> {
  const file = registryFileOf(config);
  const registry = await loadRegistryFile(file);
  if (registry.demo) logger.warn({ registry: file }, 'DEMO REGISTRY: its credentials are public. Set GANZHI_REGISTRY_FILE for anything but a demo.');
  return registry;
}

/** The embedded log's retention per topic, from the three classes of the config. */
export function retentionClasses(config: RuntimeConfig): Partial<Record<TopicName, { bytes: number; ms: number }>> {
  const hours = (h: number) => h * 3600 * 1000;
  const raw = { bytes: config.GANZHI_BUS_RAW_RETENTION_BYTES, ms: hours(config.GANZHI_BUS_RAW_RETENTION_HOURS) };
  const derived = { bytes: config.GANZHI_BUS_DERIVED_RETENTION_BYTES, ms: hours(config.GANZHI_BUS_DERIVED_RETENTION_HOURS) };
  const events = { bytes: config.GANZHI_BUS_EVENTS_RETENTION_BYTES, ms: hours(config.GANZHI_BUS_EVENTS_RETENTION_HOURS) };
  // topics read whole as keyed views (the latest value per key is the state): never retired
  const views = { bytes: Infinity, ms: Infinity };
  const classOf: Record<TopicName, typeof raw> = {
    'ganzhi.raw.v1': raw,
    'ganzhi.readings.v1': derived,
    'ganzhi.signals.v1': derived,
    'ganzhi.deadletter.v1': derived,
    'ganzhi.alerts.v1': events,
    'ganzhi.commands.v1': events,
    'ganzhi.command-results.v1': events,
    'ganzhi.silences.v1': views,
    'ganzhi.connections.v1': events, // a device silent for longer shows no connection record: acceptable
    'ganzhi.audit.v1': events,
    'ganzhi.audit-heads.v1': views,
  };
  return classOf;
}
