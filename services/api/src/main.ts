import { loadConfig } from '@ganzhi/config';
import { loadRuleFiles } from '@ganzhi/rules';
import { buildDiskWatch, closeAll, diskWatchConfig, openAuditKeyring, openBus, openRegistry, openStore, runMain } from '@ganzhi/runtime';
import { buildApi } from './build';
import { ApiConfigSchema, readTls } from './config';

/** The operators' HTTP API alone (distributed mode). */
runMain(
  'api',
  async (logger, { metrics, check }) => {
    const config = loadConfig(ApiConfigSchema, process.env);
    const registry = await openRegistry(config, logger);
    const keyring = await openAuditKeyring(config, logger);
    const bus = await openBus(config, logger, `api-${config.GANZHI_INSTANCE_ID}`, metrics);
    const store = await openStore(config, logger, metrics);
    check('store', () => store.probe());
    const disk = buildDiskWatch(diskWatchConfig(config), { logger });
    await disk.start();
    const stats = () => ({ disk: disk.snapshot() });
    const ruleFiles = config.GANZHI_RULES_DIR ? await loadRuleFiles(config.GANZHI_RULES_DIR) : [];
    const tls = readTls(config);
    const api = buildApi(
      {
        host: config.GANZHI_HTTP_HOST,
        port: config.GANZHI_HTTP_PORT,
        instanceId: config.GANZHI_INSTANCE_ID,
        silenceMaxMinutes: config.GANZHI_SILENCE_MAX_MINUTES,
        ...(tls ? { tls } : {}),
        ...(config.GANZHI_HTTP_SESSION_SECRET ? { sessionSecret: config.GANZHI_HTTP_SESSION_SECRET } : {}),
        sessionTtlMs: config.GANZHI_HTTP_SESSION_TTL_MIN * 60_000,
        mqtt: config.GANZHI_CONSOLE_MQTT_URL ? { url: config.GANZHI_CONSOLE_MQTT_URL } : { port: config.GANZHI_MQTT_WS_PORT },
      },
      { store, registry, bus, logger, stats, keyring, ruleFiles },
    );
    await api.start();
    return { close: () => closeAll([registry, disk, store, bus, api]) };
  },
);
