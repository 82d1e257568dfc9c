import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { createEmbeddedBus, type Bus } from '@ganzhi/bus';
import type { Logger } from '@ganzhi/log';
import { loadRegistryFile, type Registry } from '@ganzhi/registry';
import { createDuckDbStore, type Store } from '@ganzhi/store';
import { DEMO_REGISTRY_FILE, type RuntimeConfig } from './config';

/** The bus the config names. The stages never see which. */
export async function openBus(config: RuntimeConfig, logger: Logger, clientId = 'ganzhi'): Promise<Bus> {
  const log = logger.child({ component: 'bus' });
  switch (config.GANZHI_BUS) {
    case 'embedded': {
      const dir = join(config.GANZHI_DATA_DIR, 'bus');
      await mkdir(dir, { recursive: true, mode: 0o700 });
      return createEmbeddedBus({ dir, sync: config.GANZHI_BUS_SYNC, maxLag: config.GANZHI_BUS_MAX_LAG, logger: log });
    }
    case 'kafka': {
      const { createKafkaBus } = await import('@ganzhi/bus');
      return createKafkaBus({
        brokers: [...config.KAFKA_BROKERS],
        clientId,
        partitions: config.KAFKA_PARTITIONS,
        consumer: { sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS, heartbeatIntervalMs: Math.max(500, Math.floor(config.KAFKA_SESSION_TIMEOUT_MS / 10)) },
        logger: log,
      });
    }
    default: {
      const never: never = config.GANZHI_BUS;
      throw new Error(`unknown bus ${String(never)}`);
    }
  }
}

/** The store the config names. */
export async function openStore(config: RuntimeConfig, logger: Logger): Promise<Store> {
  const log = logger.child({ component: 'store' });
  switch (config.GANZHI_STORE) {
    case 'duckdb': {
      await mkdir(config.GANZHI_DATA_DIR, { recursive: true, mode: 0o700 });
      return createDuckDbStore({ path: join(config.GANZHI_DATA_DIR, 'ganzhi.duckdb'), memoryLimit: config.GANZHI_DUCKDB_MEMORY_LIMIT, logger: log });
    }
    case 'questdb': {
      const { createQuestDbStore } = await import('@ganzhi/store');
      return createQuestDbStore({
        url: config.QUESTDB_URL,
        ...(config.QUESTDB_USERNAME ? { username: config.QUESTDB_USERNAME } : {}),
        ...(config.QUESTDB_PASSWORD ? { password: config.QUESTDB_PASSWORD } : {}),
        ...(config.QUESTDB_TOKEN ? { token: config.QUESTDB_TOKEN } : {}),
        logger: log,
      });
    }
    default: {
      const never: never = config.GANZHI_STORE;
      throw new Error(`unknown store ${String(never)}`);
    }
  }
}

/** The registry the config names, warning loudly when it is the public demo one. */
export async function openRegistry(config: RuntimeConfig, logger: Logger): Promise<Registry> {
  const file = config.GANZHI_REGISTRY_FILE ?? DEMO_REGISTRY_FILE;
  const registry = await loadRegistryFile(file);
  if (registry.demo) logger.warn({ registry: file }, 'DEMO REGISTRY: its credentials are public. Set GANZHI_REGISTRY_FILE for anything but a demo.');
  return registry;
}
