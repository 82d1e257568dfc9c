import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { TOPIC_NAMES, type AlertChange } from '@ganzhi/schemas';
import { createKafkaBus, type Delivery, type KafkaBus } from '@ganzhi/bus';
import { createDuckDbStore } from '@ganzhi/store';
import { reportKafkaPeer, runTopicPrefix, startKafkaPeer, type KafkaPeer } from '@ganzhi/testkit';
import { connect, end } from '../helpers/mqtt';
import { eventually } from '../helpers/pipeline';
import { freePort, startTs, waitForPort, type Child } from '../helpers/process';
import { writeGaugeRegistry } from '../helpers/registry';

/**
 * Distributed mode for real: gateway, normalizer, two rule evaluators, alerts and writer as
 * separate processes on a Kafka-protocol cluster. One evaluator is SIGKILLed mid-stream.
 *
 * Runs on any peer, again and again: topics, state logs and groups carry a prefix of this run's
 * own. The test waits for final states (every gauge's alert red, the writer's group committed up
 * to the end of its topics), never for counts that a slow takeover could reach early.
 */
const PARTITIONS = 6;
const topicPrefix = runTopicPrefix('mp');
const start = await startKafkaPeer({ topics: TOPIC_NAMES.map((t) => `${topicPrefix}${t}`), partitions: PARTITIONS });
reportKafkaPeer('multi-process pipeline (test/kafka)', start);

const children: Child[] = [];
let dir = '';
let peer: KafkaPeer | undefined;
let probe: KafkaBus | undefined;
afterAll(async () => {
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  await probe?.close();
  await peer?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function health(port: number): Promise<{ ready: boolean; stats?: Record<string, number> }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return (await res.json()) as { ready: boolean; stats?: Record<string, number> };
}

/** Whether `group` has committed offsets up to the end of every partition of `topics`. */
async function caughtUp(admin: Admin, group: string, topics: string[]): Promise<boolean> {
  const committed = await admin.fetchOffsets({ groupId: group, topics });
    for (const t of committed) {
      const ends = new Map((await admin.fetchTopicOffsets(t.topic)).map((p) => [p.partition, BigInt(p.high)]));
      for (const p of t.partitions) {
        const end = ends.get(p.partition) ?? 0n;
        if (end > 0n && BigInt(p.offset) < end) return false;
      }
    }
  return true;
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
      KAFKA_TOPIC_PREFIX: topicPrefix,
      KAFKA_PARTITIONS: String(PARTITIONS),
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      GANZHI_REGISTRY_FILE: registry,
      GANZHI_LOG_LEVEL: 'warn',
      GANZHI_RULES_SWEEP_CRON: '',
      GANZHI_ALERTS_SWEEP_CRON: '',
    };

    // The test's own view of the alert changes, to know when the final state is reached.
    probe = await createKafkaBus({ brokers: peer.brokers, topicPrefix, partitions: PARTITIONS, consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitMs: 100 } });
    const latest = new Map<string, AlertChange>();
    await probe.subscribe('test-probe', {
      'ganzhi.alerts.v1': async (batch: readonly Delivery<AlertChange>[]) => {
        for (const { value } of batch) {
          const before = latest.get(value.deviceId);
          if (value.ruleId === 'river-flood-level' && (!before || value.seq >= before.seq)) latest.set(value.deviceId, value);
        }
      },
    });

    const mqttPort = await freePort();
    const spawnService = async (name: string, extra: Record<string, string> = {}) => {
      const healthPort = await freePort();
      const child = startTs(`services/${name}/src/main.ts`, { ...common, GANZHI_DATA_DIR: join(dir, name), GANZHI_OPS_PORT: String(healthPort), ...extra });
      children.push(child);
      await waitForPort(healthPort, child, 180_000);
      await eventually(async () => (await health(healthPort)).ready, 180_000, `${name} to be ready`).catch((err: Error) => {
        throw new Error(`${err.message}\n--- ${name} output ---\n${child.output()}`);
      });
      return { child, healthPort };
    };
    // Started together: their module loading and group joins overlap instead of adding up.
    const [writer, , rulesA] = await Promise.all([
      spawnService('writer', { GANZHI_DATA_DIR: join(dir, 'store') }),
      spawnService('normalizer'),
      spawnService('rules'),
      spawnService('rules'),
      spawnService('alerts', { GANZHI_INSTANCE_ID: 'alerts-a' }),
      spawnService('gateway', { GANZHI_MQTT_HOST: '127.0.0.1', GANZHI_MQTT_PORT: String(mqttPort), GANZHI_MQTT_WS_PORT: '0', GANZHI_GATEWAY_ID: 'gw-a' }),
    ]);

    // Each gauge reports 30 rising levels (10.0 .. 15.8 m), one after another, QoS 1.
    const url = `mqtt://127.0.0.1:${mqttPort}`;
    const base = Date.UTC(2026, 10, 2);
    const steps = 30;
    const acked = new Set<string>();
    let killed = false;
    // A generous CONNACK deadline: on a busy two-core machine 24 logins at once can take a while.
    const clients = await Promise.all(devices.map((id) => connect(url, id, `demo-${id}`, { reconnectPeriod: 1000, connectTimeout: 120_000 })));
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

    // The final state: every gauge's flood alert red (the surviving evaluator has taken over the
    // killed one's partitions and replayed what it had not acknowledged), then the writer's group
    // committed up to the end of the readings and alert topics.
    await eventually(() => devices.every((id) => latest.get(id)?.level === 'red'), 240_000, 'every gauge alert to reach red').catch((err: Error) => {
      const levels = devices.map((id) => `${id}=${latest.get(id)?.level ?? '-'}`).join(' ');
      throw new Error(`${err.message}: ${levels}`);
    });
    const writerTopics = ['ganzhi.readings.v1', 'ganzhi.alerts.v1'].map((t) => `${topicPrefix}${t}`);
    const admin = new Kafka({ brokers: peer.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await eventually(() => caughtUp(admin, `${topicPrefix}writer`, writerTopics), 180_000, 'the writer to commit everything');
    } finally {
      await admin.disconnect();
    }
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
  }, 900_000);
});
