/**
 * Group commit keeps the QoS 1 promise: the embedded bus writes what a tick appended and syncs it
 * once for everyone, and with the disk sync of that tick held back no PUBACK of its records goes
 * out, whichever topic they went to (device telemetry to ganzhi.raw.v1, an operator's command to
 * ganzhi.commands.v1 / ganzhi.command-results.v1). Released, every PUBACK arrives and the records
 * are on the bus. Real mqtt.js clients over TCP against the real gateway; the disk is held through
 * the bus's `beforeSync` fault hook.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedBus, type EmbeddedBus } from '@ganzhi/bus';
import { buildGateway, loadGatewayConfig, type Gateway } from '@ganzhi/gateway';
import { silentLogger } from '@ganzhi/log';
import { loadRegistryFile } from '@ganzhi/registry';
import { connect, end, publish } from '../helpers/mqtt';
import { eventually } from '../helpers/pipeline';

const REPO = new URL('../..', import.meta.url).pathname;
let dir: string;
let bus: EmbeddedBus;
let gateway: Gateway;
let device: MqttClient | undefined;
let operator: MqttClient | undefined;

/** Which logs asked to sync while held, and the release of those syncs. */
let holding = false;
const heldLogs: string[] = [];
let release: () => void = () => undefined;
let released = Promise.resolve();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ganzhi-group-commit-'));
  bus = await createEmbeddedBus({
    dir: join(dir, 'bus'),
    sync: 'fsync',
    beforeSync: (log) => {
      if (!holding) return undefined;
      heldLogs.push(log);
      return released;
    },
  });
  const registry = await loadRegistryFile(join(REPO, 'deploy/demo/registry.json'));
  const config = loadGatewayConfig({
    GANZHI_MQTT_HOST: '127.0.0.1',
    GANZHI_MQTT_PORT: '0',
    GANZHI_MQTT_WS_PORT: '0',
    GANZHI_HJ212_PORT: 'off',
    GANZHI_SL651_PORT: 'off',
    GANZHI_GBT26875_TCP_PORT: 'off',
    GANZHI_GBT26875_UDP_PORT: 'off',
    GANZHI_GATEWAY_ID: `gw-gc-${process.pid}`,
  });
  gateway = await buildGateway(config, { bus, registry, logger: silentLogger() });
  await gateway.start();
  const url = `mqtt://127.0.0.1:${gateway.ports().mqtt}`;
  device = await connect(url, 'gauge-001');
  operator = await connect(url, 'op-alice');
}, 60_000);

afterAll(async () => {
  release();
  await end(device, operator);
  await gateway?.close();
  await bus?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('group commit and the QoS 1 promise', () => {
  it('sends no PUBACK of a tick whose disk sync is held, in any topic, and all of them once it is done', async () => {
    const before = bus.stats().records;
    released = new Promise<void>((resolve) => (release = resolve));
    holding = true;
    const acked: string[] = [];
    const telemetry = JSON.stringify({ ts: Date.now(), level: 1.23, seq: 'group-commit' });
    const command = JSON.stringify({ alertId: 'no-such-alert', action: 'acknowledge', requestId: `gc-${process.pid}` });
    const pubs = [
      publish(device!, 'devices/gauge-001/telemetry', telemetry).then(() => acked.push('telemetry')),
      publish(operator!, 'ops/commands', command).then(() => acked.push('command')),
    ];
    // both records were written and their logs are waiting on the held sync
    await eventually(() => heldLogs.includes('ganzhi.raw.v1') && heldLogs.some((l) => l === 'ganzhi.commands.v1' || l === 'ganzhi.command-results.v1'), 10_000, 'both appends to reach the disk sync');
    // give any early PUBACK every chance to arrive (bounded): none may
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(acked).toEqual([]);
    expect(bus.stats().records).toBe(before);

    holding = false;
    release();
    await Promise.all(pubs);
    expect(acked.sort()).toEqual(['command', 'telemetry']);
    expect(bus.stats().records).toBeGreaterThanOrEqual(before + 2);
  }, 30_000);
});
