import { loadConfig } from '@ganzhi/config';
import { buildDiskWatch, closeAll, diskWatchConfig, openBus, openRegistry, runMain } from '@ganzhi/runtime';
import { buildGateway } from './build';
import { GatewayServiceConfigSchema } from './config';

/** The MQTT gateway alone (distributed mode): several may run, each with its own GANZHI_GATEWAY_ID. */
runMain('gateway', async (logger, { metrics }) => {
  const config = loadConfig(GatewayServiceConfigSchema, process.env);
  const registry = await openRegistry(config, logger);
  const bus = await openBus(config, logger, config.GANZHI_GATEWAY_ID, metrics);
  const disk = buildDiskWatch(diskWatchConfig(config), { logger });
  await disk.start();
  metrics.setDiskSource(() => disk.snapshot());
  const gateway = await buildGateway(config, { bus, registry, logger, metrics, ingestGate: disk });
  await gateway.start();
  return { close: () => closeAll([registry, bus, gateway, disk]), stats: () => ({ ...gateway.stats(), disk: disk.snapshot() }) };
});
