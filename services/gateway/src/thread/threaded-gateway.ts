import { MessageChannel, Worker } from 'node:worker_threads';
import { serveBus, type Bus } from '@ganzhi/bus';
import type { Logger } from '@ganzhi/log';
import type { Metrics } from '@ganzhi/metrics';
import { GanzhiError, fromWireError, toWireError } from '@ganzhi/schemas';
import type { Gateway } from '../build';
import type { GatewayConfig } from '../config';
import type { FromGatewayThread, GatewayThreadInit, GatewayThreadStats, ToGatewayThread } from './protocol';

/**
 * The thread's module: from the sources (tsx, as `npm start` runs) the TypeScript worker through
 * a small loader; from the production build the bundle built beside the service's own.
 */
const WORKER_ENTRY = import.meta.url.endsWith('.ts') ? new URL('./worker-entry.mjs', import.meta.url) : new URL('./gateway-worker.js', import.meta.url);

/** The thread of a threaded gateway (for fault tests: terminating it is the thread dying). */
export const GATEWAY_THREAD = Symbol('ganzhi.gatewayThread');

/** A gateway as the pipeline holds it: its broker object only when it runs on this thread. */
export type GatewayHandle = Omit<Gateway, 'broker'> & { readonly broker?: Gateway['broker'] };

export interface GatewayThreadDeps {
  /** The bus the thread publishes to and consumes from: it stays on this thread. */
  bus: Bus;
  /** The registry file the thread loads (the one this process loaded). */
  registryFile: string;
  logger: Logger;
  /** The process's metrics: the thread's series are added to its scrapes. */
  metrics?: Metrics;
  /** The disk floor (the disk watch): its changes are told to the thread, which reports what it refused. */
  ingestGate?: { watchGate(listener: (refusal: Error | undefined) => void): void; countRefused(n: number): void };
  /** The thread ended without being closed (a crash): the process can no longer take devices. */
  onExit?: (err: Error) => void;
}

/**
 * The MQTT gateway on a thread of its own (GANZHI_GATEWAY_THREAD): the broker's sockets, packet
 * parsing, PUBACK writes and the protocol listeners run beside the stages instead of between
 * them. Same contract as `buildGateway`: a device's PUBACK follows the durable append of its
 * record to the bus, which this thread serves to the gateway thread.
 */
export async function buildGatewayThread(config: GatewayConfig, deps: GatewayThreadDeps): Promise<GatewayHandle> {
  const log = deps.logger.child({ component: 'gateway-thread' });
  const channel = new MessageChannel();
  const host = serveBus(deps.bus, channel.port1);
  const init: GatewayThreadInit = { config, registryFile: deps.registryFile, service: serviceName(deps.logger), logLevel: deps.logger.level, bus: channel.port2 };
  const worker = new Worker(WORKER_ENTRY, { workerData: init, transferList: [channel.port2], execArgv: [] });
  let stats: GatewayThreadStats | undefined;
  let ports: ReturnType<Gateway['ports']> = { mqtt: 0, ws: 0, mqtts: 0, wss: 0 };
  let closing = false;
  let exited = false;
  type Op = 'build' | 'start' | 'close';
  /** The thread's answer awaited for each operation: `want`, or `failed` with that op. */
  const pending = new Map<Op, { want: FromGatewayThread['t']; resolve: () => void; reject: (err: Error) => void }>();
  const scrapes = new Map<number, (series: unknown[]) => void>();
  let nextScrape = 0;

  const request = (op: Op, want: FromGatewayThread['t'], send?: ToGatewayThread): Promise<void> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(new GanzhiError('GANZHI_ERR_BUS_UNAVAILABLE', 'the gateway thread has ended'));
      pending.set(op, { want, resolve, reject });
      if (send) worker.postMessage(send);
    });

  worker.on('message', (m: FromGatewayThread) => {
    if (m.t === 'stats' || m.t === 'ready') stats = m.stats;
    if (m.t === 'started') ports = m.ports;
    if (m.t === 'refused') {
      deps.ingestGate?.countRefused(1);
    } else if (m.t === 'metrics') {
      scrapes.get(m.id)?.(m.series);
      scrapes.delete(m.id);
    } else if (m.t === 'failed') {
      pending.get(m.op)?.reject(fromWireError(m.error));
      pending.delete(m.op);
    } else {
      for (const [op, p] of pending) {
        if (p.want !== m.t) continue;
        pending.delete(op);
        p.resolve();
      }
    }
  });
  worker.on('error', (err) => log.error({ err }, 'gateway thread failed'));
  worker.on('exit', (code) => {
    exited = true;
    const err = new GanzhiError('GANZHI_ERR_BUS_UNAVAILABLE', `the gateway thread ended (exit code ${code})`);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    for (const done of scrapes.values()) done([]);
    scrapes.clear();
    void host.close();
    if (!closing) {
      log.error({ code }, 'gateway thread ended unexpectedly');
      deps.onExit?.(err);
    }
  });

  try {
    await request('build', 'ready');
  } catch (err) {
    closing = true;
    await worker.terminate();
    await host.close();
    throw err;
  }

  // the disk floor, told to the thread as it changes
  deps.ingestGate?.watchGate((refusal) => {
    if (!exited) worker.postMessage({ t: 'gate', refusal: refusal ? toWireError(refusal) : undefined } satisfies ToGatewayThread);
  });

  deps.metrics?.addThreadSource(
    () =>
      new Promise<unknown[]>((resolve) => {
        if (exited) return resolve([]);
        const id = ++nextScrape;
        scrapes.set(id, resolve);
        worker.postMessage({ t: 'metrics', id } satisfies ToGatewayThread);
      }),
  );

  const handle: GatewayHandle & { [GATEWAY_THREAD]: Worker } = {
    [GATEWAY_THREAD]: worker,
    stats: () => stats!,
    ports: () => ports,
    async start() {
      try {
        await request('start', 'started', { t: 'start' });
      } catch (err) {
        // a gateway that could not listen is of no use: its thread ends with the failure
        await handle.close();
        throw err;
      }
    },
    async close() {
      if (closing) return;
      closing = true;
      if (!exited) {
        await request('close', 'closed', { t: 'close' }).catch((err: unknown) => log.warn({ err }, 'gateway thread did not close cleanly'));
        await new Promise<void>((resolve) => (exited ? resolve() : worker.once('exit', () => resolve())));
      }
      await host.close();
      channel.port1.close();
    },
  };
  return handle;
}

function serviceName(logger: Logger): string {
  const bindings = logger.bindings() as { name?: unknown };
  return typeof bindings.name === 'string' ? bindings.name : 'ganzhi';
}
