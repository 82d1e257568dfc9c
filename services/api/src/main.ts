import { loadConfig } from '@ganzhi/config';
import { closeAll, openAuditKeyring, openBus, openRegistry, openStore, runMain } from '@ganzhi/runtime';
import { buildApi } from './build';
import { ApiConfigSchema } from './config';

/** The operators' HTTP API alone (distributed mode). */
runMain(
  'api',
  async (logger) => {
    const config = loadConfig(ApiConfigSchema, process.env);
    const registry = await openRegistry(config, logger);
    const keyring = await openAuditKeyring(config, logger);
    const bus = await openBus(config, logger, `api-${config.GANZHI_INSTANCE_ID}`);
    const store = await openStore(config, logger);
    const api = buildApi(
      { host: config.GANZHI_HTTP_HOST, port: config.GANZHI_HTTP_PORT, instanceId: config.GANZHI_INSTANCE_ID, silenceMaxMinutes: config.GANZHI_SILENCE_MAX_MINUTES },
      { store, registry, bus, logger, keyring },
    );
    await api.start();
    return { close: () => closeAll([store, bus, api]) };
  },
  { healthPort: Number(process.env.GANZHI_HEALTH_PORT ?? 0) },
);
