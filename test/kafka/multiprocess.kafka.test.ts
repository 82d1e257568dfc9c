import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TOPIC_NAMES, type AlertChange } from '@ganzhi/schemas';
import { createDuckDbStore } from '@ganzhi/store';
import { reportKafkaPeer, startKafkaPeer, type KafkaPeer } from '@ganzhi/testkit';
import { connect, end } from '../helpers/mqtt';
import { eventually } from '../helpers/pipeline';
import { freePort, startTs, waitForPort, type Child } from '../helpers/process';
import { writeGaugeRegistry } from '../helpers/registry';

/**
 * Distributed mode for real: gateway, normalizer, two rule evaluators, alerts and writer as
 * separate processes on a Kafka-protocol cluster. One evaluator is SIGKILLed mid-stream.
 */
const PARTITIONS = 6;
const start = await startKafkaPeer({ topics: TOPIC_NAMES, partitions: PARTITIONS });
reportKafkaPeer('multi-process pipeline (test/kafka)', start);

const children: Child[] = [];
let dir = '';
let peer: KafkaPeer | undefined;
afterAll(async () => {
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  await peer?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function health(port: number): Promise<{ ready: boolean; stats?: Record<string, number> }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return (await res.json()) as { ready: boolean; stats?: Record<string, number> };
}

describe.skipIf(!start.peer)('the services as separate processes on Kafka', () => {
  it('stores every PUBACKed message once and raises every expected alert once, though a rule evaluator is killed mid-stream', async () => {
    peer = start.peer!;
    dir = await mkdtemp(join(tmpdir(), 'ganzhi-kafka-mp-'));
    const registry = join(dir, 'registry.json');
    const devices = await writeGaugeRegistry(registry, 24);
    const common = {
      GANZHI_BUS: 'kafka',
      KAFKA_BROKERS: peer.brokers.join(','),
      KAFKA_PARTITIONS: String(PARTITIONS),
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      GANZHI_REGISTRY_FILE: registry,
      GANZHI_LOG_LEVEL: 'warn',
      GANZHI_RULES_SWEEP_CRON: '',
      GANZHI_ALERTS_SWEEP_CRON: '',
    };
    const mqttPort = await freePort();
    const spawnService = async (name: string, extra: Record<string, string> = {}) => {
      const healthPort = await freePort();
      const child = startTs(`services/${name}/src/main.ts`, { ...common, GANZHI_DATA_DIR: join(dir, name), GANZHI_OPS_PORT: String(healthPort), ...extra });
      children.push(child);
      await waitForPort(healthPort, child);
      await eventually(async () => (await health(healthPort)).ready, 90_000, `${name} to be ready`).catch((err: Error) => {
        throw new Error(`${err.message}\n--- ${name} output ---\n${child.output()}`);
      });
      return { child, healthPort };
    };
    const writer = await spawnService('writer', { GANZHI_DATA_DIR: join(dir, 'store') });
    await spawnService('normalizer');
    const rulesA = await spawnService('rules');
    await spawnService('rules');
    await spawnService('alerts', { GANZHI_INSTANCE_ID: 'alerts-a' });
    const gateway = await spawnService('gateway', { GANZHI_MQTT_HOST: '127.0.0.1', GANZHI_MQTT_PORT: String(mqttPort), GANZHI_MQTT_WS_PORT: '0', GANZHI_GATEWAY_ID: 'gw-a' });
    void gateway;

    // Each gauge reports 30 rising levels (10.0 .. 15.8 m), one after another, QoS 1.
    const url = `mqtt://127.0.0.1:${mqttPort}`;
    const base = Date.UTC(2026, 10, 2);
    const steps = 30;
    const acked = new Set<string>();
    let killed = false;
    const clients = await Promise.all(devices.map((id) => connect(url, id, `demo-${id}`, { reconnectPeriod: 1000 })));
    await Promise.all(
      clients.map(async (client, d) => {
        const id = devices[d]!;
        for (let i = 0; i < steps; i++) {
          const payload = JSON.stringify({ ts: base + i * 60_000, waterLevel: Number((10 + i * 0.2).toFixed(2)) });
          await new Promise<void>((resolve, reject) => client.publish(`devices/${id}/telemetry`, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
          acked.add(`${id}/${i}`);
          if (!killed && acked.size >= (devices.length * steps * 2) / 5) {
            killed = true;
            rulesA.child.proc.kill('SIGKILL'); // mid-stream, while the other evaluator runs on
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      }),
    );
    await end(...clients);
    expect(killed).toBe(true);
    expect(acked.size).toBe(devices.length * steps);

    // Wait for the writer to have taken in (at least) everything, then stop it to read its store.
    await eventually(async () => ((await health(writer.healthPort)).stats?.readings ?? 0) >= acked.size, 120_000, 'the writer to catch up');
    await eventually(async () => ((await health(writer.healthPort)).stats?.alertEvents ?? 0) >= devices.length * 4, 120_000, 'alert changes to be written');
    await new Promise((r) => setTimeout(r, 2000)); // let in-flight alert changes land too
    writer.child.proc.kill('SIGTERM');
    expect(await writer.child.exited).toMatchObject({ code: 0 });

    const store = await createDuckDbStore({ path: join(dir, 'store', 'ganzhi.duckdb') });
    try {
      for (const id of devices) {
        expect(await store.countReadings(id), id).toBe(steps);
        const buckets = await store.range({ deviceId: id, metric: 'waterLevel', from: base, to: base + steps * 60_000, bucketMs: 60_000 });
        expect(buckets.map((b) => b.count)).toEqual(Array(steps).fill(1));
      }
      const history = (await store.alertHistory({})) as AlertChange[];
      for (const id of devices) {
        const flood = history.filter((c) => c.deviceId === id && c.ruleId === 'river-flood-level');
        expect(flood.filter((c) => c.event.type === 'raised'), `${id} raised once`).toHaveLength(1);
        expect(new Set(flood.map((c) => c.alertId)).size).toBe(1);
        expect(flood.reduce((a, b) => (b.seq > a.seq ? b : a)).level).toBe('red');
      }
    } finally {
      await store.close();
    }
  }, 420_000);
});
