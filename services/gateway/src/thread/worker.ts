import { parentPort, workerData } from 'node:worker_threads';
import { connectBus } from '@ganzhi/bus';
import { createLogger } from '@ganzhi/log';
import { createMetrics } from '@ganzhi/metrics';
import { loadRegistryFile } from '@ganzhi/registry';
import { fromWireError, toWireError } from '@ganzhi/schemas';
import { buildGateway, type Gateway } from '../build';
import type { FromGatewayThread, GatewayThreadInit, ToGatewayThread } from './protocol';

/**
 * The gateway thread: Aedes, its sockets and the protocol listeners, on an event loop of their
 * own. The bus stays on the main thread (`connectBus`): a PUBACK still follows the record's
 * durable append there. Stats go to the main thread every STATS_MS; metrics when it scrapes.
 */
const STATS_MS = 250;
const init = workerData as GatewayThreadInit;
const port = parentPort!;
const post = (m: FromGatewayThread) => port.postMessage(m);

const logger = createLogger({ level: init.logLevel, name: init.service });
// this thread's own series; the process's (CPU, memory, GC) are the main thread's
const metrics = createMetrics({ service: init.service, processMetrics: false });
const bus = connectBus(init.bus);
let refusal: Error | undefined;
let gateway: Gateway;
let statsTimer: NodeJS.Timeout | undefined;
try {
  const registry = await loadRegistryFile(init.registryFile);
  const ingestGate = {
    refusal() {
      if (refusal) post({ t: 'refused' });
      return refusal;
    },
  };
  gateway = await buildGateway(init.config, { bus, registry, logger, metrics, ingestGate });
  const close = async () => {
    clearInterval(statsTimer);
    await gateway.close();
    await bus.close();
    await registry.close();
  };
  port.on('message', (m: ToGatewayThread) => {
    switch (m.t) {
      case 'start':
        gateway.start().then(
          () => {
            post({ t: 'started', ports: gateway.ports() });
            statsTimer = setInterval(() => post({ t: 'stats', stats: gateway.stats() }), STATS_MS);
            statsTimer.unref();
          },
          (err: unknown) => post({ t: 'failed', op: 'start', error: toWireError(err) }),
        );
        break;
      case 'close':
        close().then(
          () => {
            post({ t: 'stats', stats: gateway.stats() });
            post({ t: 'closed' });
            port.close();
          },
          (err: unknown) => post({ t: 'failed', op: 'close', error: toWireError(err) }),
        );
        break;
      case 'gate':
        refusal = m.refusal ? fromWireError(m.refusal) : undefined;
        break;
      case 'metrics':
        metrics.registry.getMetricsAsJSON().then((series) => post({ t: 'metrics', id: m.id, series }));
        break;
    }
  });
  post({ t: 'ready', stats: gateway.stats() });
} catch (err) {
  post({ t: 'failed', op: 'build', error: toWireError(err) });
}
