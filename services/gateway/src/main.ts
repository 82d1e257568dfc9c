import { loadConfig } from '@ganzhi/config';
import { closeAll, openBus, openRegistry, runMain } from '@ganzhi/runtime';
import { buildGateway } from './build';
import { GatewayServiceConfigSchema } from './config';

/** The MQTT gateway alone (distributed mode): several may run, each with its own GANZHI_GATEWAY_ID. */
runMain('gateway', async (logger, { metrics }) => {
  const config = loadConfig(GatewayServiceConfigSchema, process.env);
  const registry = await openRegistry(config, logger);
  const bus = await openBus(config, logger, config.GANZHI_GATEWAY_ID, metrics);
  const gateway = await buildGateway(config, { bus, registry, logger, metrics });
  await gateway.start();
  return { close: () => closeAll([registry, bus, gateway]), stats: () => gateway.stats() };
});
