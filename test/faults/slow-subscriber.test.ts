import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { basicAuth, startGanzhiProcess, type GanzhiProcess } from '../helpers/ganzhi';
import { startDeviceLoad } from '../helpers/load';
import { collect, connect, end, publish, subscribe } from '../helpers/mqtt';
import { eventually } from '../helpers/pipeline';
import { frozenSubscriber } from '@ganzhi/testkit';
import { writeGaugeRegistry } from '../helpers/registry';

let ganzhi: GanzhiProcess | undefined;
let regDir = '';
afterAll(async () => {
  await ganzhi?.stop();
  if (regDir) await rm(regDir, { recursive: true, force: true });
});

describe('a subscriber that stops reading', () => {
  it('is disconnected while devices keep their PUBACKs and operators their alerts, and its departure crashes nothing', async () => {
    regDir = await mkdtemp(join(tmpdir(), 'ganzhi-slow-'));
    const registryFile = join(regDir, 'registry.json');
    const ids = await writeGaugeRegistry(registryFile, 51);
    const [redGauge, ...loadIds] = ids as [string, ...string[]];
    ganzhi = await startGanzhiProcess({ GANZHI_REGISTRY_FILE: registryFile, GANZHI_MQTT_DRAIN_TIMEOUT_MS: '3000' });

    const alice = await connect(ganzhi.mqttUrl, 'op-alice');
    await subscribe(alice, 'alerts/#');
    // 50 devices under QoS 1 load, 1 KiB a message, so the frozen socket's buffers fill quickly.
    const load = await startDeviceLoad(ganzhi.mqttUrl, loadIds, { window: 8, padding: 1024 });
    await eventually(() => load.total() > 500, 30_000, 'the load to be acknowledged');

    // The admin's console taps every device topic, then its laptop goes to sleep.
    console.info(`slow-subscriber: load running, ${load.total()} PUBACKs; freezing a tap`);
    const frozen = await frozenSubscriber(ganzhi.mqttPort, 'op-admin', 'demo-op-admin', 'devices/#');

    // Every device keeps being acknowledged while the frozen subscriber is (or was) connected.
    const before = load.acked();
    await eventually(() => [...load.acked()].every(([id, n]) => n >= before.get(id)! + 200), 60_000, 'every device to get 200 more PUBACKs');

    console.info(`slow-subscriber: every device got 200 more PUBACKs (${load.total()} in all)`);
    // Another operator still gets a fresh red alert.
    const gauge = await connect(ganzhi.mqttUrl, redGauge, undefined, { clientId: redGauge });
    const red = collect(alice, (got) => got.some((g) => g.topic.startsWith(`alerts/red/river_gauge/${redGauge}/`)), 30_000);
    await publish(gauge, `devices/${redGauge}/telemetry`, JSON.stringify({ ts: Date.now(), waterLevel: 15.6 }));
    await red;
    console.info('slow-subscriber: red alert received by another operator');

    // The server hangs up on the frozen client by itself (bounded outgoing buffer / drain timeout).
    // The frozen socket reads nothing, so it cannot see the hang-up itself: the server's counter says it.
    const stats = async () => (await (await fetch(`${ganzhi!.httpUrl}/api/stats`, { headers: basicAuth('op-admin') })).json()) as { gateway: { slowDisconnects: number } };
    await eventually(async () => (await stats()).gateway.slowDisconnects >= 1, 60_000, 'the frozen client to be disconnected');
    frozen.destroy();
    console.info('slow-subscriber: the server disconnected the frozen client');

    // The process survives its departure, and ingest goes on.
    const after = load.total();
    await eventually(() => load.total() > after + 2_000, 60_000, 'ingest to go on after the frozen client left');
    expect(ganzhi.alive()).toBe(true);
    await load.stop();
    await end(gauge);
    await end(alice);
    // still serving, a few seconds after everyone left
    await new Promise((r) => setTimeout(r, 3_000));
    expect(ganzhi.alive()).toBe(true);
    expect((await stats()).gateway.slowDisconnects).toBeGreaterThanOrEqual(1);
  }, 240_000);
});
