import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { createEmbeddedBus, type Bus } from '@ganzhi/bus';
import type { Logger } from '@ganzhi/log';
import { createDuckDbStore, type Store } from '@ganzhi/store';
import type { PipelineConfig } from './config';

/** The bus the config names. The stages never see which. */
export async function openBus(config: PipelineConfig, logger: Logger): Promise<Bus> {
  switch (config.GANZHI_BUS) {
    case 'embedded': {
      const dir = join(config.GANZHI_DATA_DIR, 'bus');
      await mkdir(dir, { recursive: true });
      return createEmbeddedBus({ dir, sync: config.GANZHI_BUS_SYNC, logger: logger.child({ component: 'bus' }) });
    }
    case 'kafka': {
      const { createKafkaBus } = await import('@ganzhi/bus');
      return createKafkaBus({ brokers: [...config.KAFKA_BROKERS], clientId: config.GANZHI_GATEWAY_ID, logger: logger.child({ component: 'bus' }) });
    }
    default: {
      const never: never = config.GANZHI_BUS;
      throw new Error(`unknown bus ${String(never)}`);
    }
  }
}

/** The store the config names. */
export async function openStore(config: PipelineConfig, logger: Logger): Promise<Store> {
  switch (config.GANZHI_STORE) {
    case 'duckdb': {
      await mkdir(config.GANZHI_DATA_DIR, { recursive: true });
      return createDuckDbStore({ path: join(config.GANZHI_DATA_DIR, 'ganzhi.duckdb'), logger: logger.child({ component: 'store' }) });
    }
    case 'questdb': {
      const { createQuestDbStore } = await import('@ganzhi/store');
      return createQuestDbStore({ url: config.QUESTDB_URL, logger: logger.child({ component: 'store' }) });
    }
    default: {
      const never: never = config.GANZHI_STORE;
      throw new Error(`unknown store ${String(never)}`);
    }
  }
}
