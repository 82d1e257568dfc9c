import { afterAll, describe, expect, it } from 'vitest';
import { TOPIC_NAMES } from '@ganzhi/schemas';
import { reportKafkaPeer, runTopicPrefix, startKafkaPeer } from '@ganzhi/testkit';
import { reading, safeName } from '../contract-kit';
import { createKafkaBus, type KafkaBus } from './kafka-bus';

const READINGS = 'ganzhi.readings.v1';
const run = safeName(`lag-${Date.now().toString(36)}`);
// topics of this run's own: on a reused cluster the readings topic already holds older records
const topicPrefix = runTopicPrefix('lag');
const start = await startKafkaPeer({ topics: TOPIC_NAMES.map((t) => `${topicPrefix}${t}`), partitions: 3 });
reportKafkaPeer('consumer lag (packages/bus/src/kafka/lag.ts)', start);

async function until<T>(fn: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!start.peer)('consumer lag on the Kafka bus', () => {
  let bus: KafkaBus | undefined;
  let release: (() => void) | undefined;
  afterAll(async () => {
    release?.(); // a failed expectation must not leave the handler (and so close) waiting
    await bus?.close();
    await start.peer?.stop();
  });

  it('is what a group has not committed, by group and topic, from the brokers', async () => {
    bus = await createKafkaBus({ brokers: start.peer!.brokers, topicPrefix, partitions: 3, consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitMs: 100 } });
    const gate = new Promise<void>((r) => (release = r));
    let handled = 0;
    const group = `lag-${run}`;
    const sub = await bus.subscribe(group, { [READINGS]: async (batch) => void (await gate, (handled += batch.length)) });
    await bus.publish(READINGS, Array.from({ length: 20 }, (_, i) => ({ key: `dev-${i % 4}`, value: reading(run, `dev-${i % 4}`, i) })));
    const lagOf = async () => (await bus!.lag()).find((l) => l.group === group && l.topic === READINGS)?.lag;
    expect(await lagOf()).toBe(20);
    release!();
    await until(async () => (handled === 20 && (await lagOf()) === 0 ? true : undefined), 'the group to commit everything');
    await sub.close();
  });
});
