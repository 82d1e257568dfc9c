import { createServer, type Server } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { createEmbeddedBus } from '@ganzhi/bus';
import { DEMO_REGISTRY_FILE } from '@ganzhi/all';
import { GATEWAY_THREAD, buildGatewayThread, loadGatewayConfig } from '@ganzhi/gateway';
import { silentLogger } from '@ganzhi/log';
import { createMetrics } from '@ganzhi/metrics';
import { collect, connect, end, publish, subscribe } from './helpers/mqtt';
import { eventually, startPipeline, type RunningPipeline } from './helpers/pipeline';

/**
 * GANZHI_GATEWAY_THREAD: the gateway (Aedes and its sockets) on a worker thread, the bus, the
 * stages and the store on the main thread. Real MQTT clients over TCP; what crosses between the
 * threads (publishes and their durability, the gateway's alert subscription, its retained-alert
 * state log, metrics and stats) is what these tests look at; the disk floor's test runs in both
 * placements (disk-floor.test.ts).
 */
const THREAD = { GANZHI_GATEWAY_THREAD: 'true' };
const running: RunningPipeline[] = [];
afterAll(async () => {
  for (const p of running) await p.stop().catch(() => undefined);
});

describe('the gateway on a thread of its own', () => {
  it('acknowledges a publish once its reading is on the bus, raises the red alert to an operator, and reports the thread in stats and /metrics', async () => {
    const metrics = createMetrics({ service: 'ganzhi' });
    const p = await startPipeline({ env: THREAD, metrics });
    running.push(p);
    expect(p.pipeline.gateway.broker).toBeUndefined(); // the broker is not on this thread
    const operator = await connect(p.mqttUrl, 'op-alice');
    const device = await connect(p.mqttUrl, 'gauge-001');
    try {
      expect(await subscribe(operator, 'alerts/#')).toBe(1);
      const received = collect(operator, (all) => all.some((m) => m.topic.startsWith('alerts/red/river_gauge/gauge-001/')));
      await publish(device, 'devices/gauge-001/telemetry', JSON.stringify({ ts: Date.now(), waterLevel: 15.5 }));
      const red = JSON.parse((await received).find((m) => m.topic.startsWith('alerts/red/'))!.payload);
      expect(red).toMatchObject({ deviceId: 'gauge-001', level: 'red', status: 'open', value: 15.5 });
      await eventually(async () => (await p.store.latest({ deviceId: 'gauge-001', metric: 'waterLevel' }))[0]?.value === 15.5, 20_000, 'the stored reading');
    } finally {
      await end(operator, device);
    }
    await eventually(() => p.pipeline.gateway.stats().accepted === 1 && p.pipeline.gateway.stats().alertsPublished >= 1, 10_000, "the thread's stats");
    const { text } = await metrics.exposition();
    // series the thread kept, next to the main thread's own
    expect(text).toMatch(/^ganzhi_mqtt_publishes_total\{result="accepted",service="ganzhi"\} 1$/m);
    expect(text).toMatch(/^ganzhi_mqtt_connections\{role="operator",service="ganzhi"\} 0$/m);
    expect(text).toMatch(/^ganzhi_alerts_open\{level="red",service="ganzhi"\} 1$/m); // the alert manager's, on this thread
    expect(text).toMatch(/^process_cpu_seconds_total\{service="ganzhi"\} /m);
  });

  it('restores the retained alert for an operator who connects after a restart (its state log is on the main thread)', async () => {
    const first = await startPipeline({ env: THREAD });
    const device = await connect(first.mqttUrl, 'gauge-001');
    const watcher = await connect(first.mqttUrl, 'op-bob');
    await subscribe(watcher, 'alerts/#');
    const raised = collect(watcher, (all) => all.some((m) => m.topic.startsWith('alerts/red/river_gauge/gauge-001/')));
    await publish(device, 'devices/gauge-001/telemetry', JSON.stringify({ ts: Date.now(), waterLevel: 15.5 }));
    await raised;
    await end(device, watcher);
    await first.stop(true);

    const again = await startPipeline({ env: THREAD, dir: first.dir });
    running.push(again);
    const late = await connect(again.mqttUrl, 'op-alice');
    try {
      const retained = collect(late, (all) => all.some((m) => m.topic.startsWith('alerts/red/river_gauge/gauge-001/')));
      await subscribe(late, 'alerts/#');
      expect(JSON.parse((await retained).find((m) => m.topic.startsWith('alerts/red/'))!.payload)).toMatchObject({ deviceId: 'gauge-001', level: 'red' });
    } finally {
      await end(late);
    }
  });

  it('fails to start with an error naming GANZHI_MQTT_PORT when the port is taken', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(startPipeline({ env: { ...THREAD, GANZHI_MQTT_PORT: String(port) } })).rejects.toMatchObject({ code: 'GANZHI_ERR_CFG_INVALID', message: expect.stringContaining('GANZHI_MQTT_PORT') });
    } finally {
      taken.close();
    }
  });

  it('tells its owner when the thread dies unasked, and still closes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ganzhi-thread-crash-'));
    const bus = await createEmbeddedBus({ dir });
    const config = loadGatewayConfig({ GANZHI_MQTT_HOST: '127.0.0.1', GANZHI_MQTT_PORT: '0', GANZHI_MQTT_WS_PORT: '0' });
    let ended: Error | undefined;
    const gateway = await buildGatewayThread(config, { bus, registryFile: DEMO_REGISTRY_FILE, logger: silentLogger(), onExit: (err) => (ended = err) });
    try {
      await gateway.start();
      const device = await connect(`mqtt://127.0.0.1:${gateway.ports().mqtt}`, 'gauge-001');
      await publish(device, 'devices/gauge-001/telemetry', JSON.stringify({ ts: Date.now(), waterLevel: 1 }));
      const lost = new Promise<void>((resolve) => device.once('close', () => resolve()));
      await (gateway as unknown as { [GATEWAY_THREAD]: Worker })[GATEWAY_THREAD].terminate();
      await lost; // its sockets went with it
      device.end(true);
      await eventually(() => ended, 10_000, 'onExit');
      expect(ended).toMatchObject({ code: 'GANZHI_ERR_BUS_UNAVAILABLE' });
    } finally {
      await gateway.close();
      await bus.close();
    }
  });
});
