import { hostname } from 'node:os';
import { z } from 'zod';
import { envPort, envString, loadConfig } from '@ganzhi/config';
import { RuntimeConfigSchema, checkRuntime, closeAll, openBus, openRegistry, openStore, runMain } from '@ganzhi/runtime';
import { buildApi } from './build';

const ApiConfigSchema = RuntimeConfigSchema.extend({
  GANZHI_HTTP_HOST: envString('0.0.0.0').describe('address the HTTP API binds to'),
  GANZHI_HTTP_PORT: envPort(8080).describe("operators' HTTP API port"),
  GANZHI_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).default(hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64) || 'api'),
}).superRefine(checkRuntime);

/** The operators' HTTP API alone (distributed mode). */
runMain(
  'api',
  async (logger) => {
    const config = loadConfig(ApiConfigSchema, process.env);
    const registry = await openRegistry(config, logger);
    const bus = await openBus(config, logger, `api-${config.GANZHI_INSTANCE_ID}`);
    const store = await openStore(config, logger);
    const api = buildApi({ host: config.GANZHI_HTTP_HOST, port: config.GANZHI_HTTP_PORT, instanceId: config.GANZHI_INSTANCE_ID }, { store, registry, bus, logger });
    await api.start();
    return { close: () => closeAll([store, bus, api]) };
  },
  { healthPort: Number(process.env.GANZHI_HEALTH_PORT ?? 0) },
);
