import { describe, it } from 'vitest';
import { reportKafkaPeer, runTopicPrefix, startKafkaPeer } from '@ganzhi/testkit';
import type { KafkaPeer } from '@ganzhi/testkit';
import { runBusContract } from '../contract';
import { createKafkaBus } from './kafka-bus';
import type { KafkaBusOptions } from './options';
import type { Bus } from '../bus';

/** The bus, with `prefetch` on every subscription. */
function withPrefetch(bus: Bus): Bus {
  return {
    publish: (topic, records) => bus.publish(topic, records),
    subscribe: (group, handlers, o) => bus.subscribe(group, handlers, { ...o, prefetch: true }),
    stateLog: (name, decode, o) => bus.stateLog(name, decode, o),
    close: () => bus.close(),
  };
}

const PARTITIONS = 6;
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

function options(peer: KafkaPeer, topicPrefix: string): KafkaBusOptions {
  return {
    brokers: peer.brokers,
    clientId: `contract-${run}`,
    partitions: PARTITIONS,
    topicPrefix,
    // Short group timings keep rebalances (a member leaving, a reopen) quick on a test cluster.
    consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitMs: 100 },
  };
}

const start = await startKafkaPeer();
reportKafkaPeer('bus contract (packages/bus/src/kafka)', start);

if (start.peer) {
  const peer = start.peer;
  let prefix = '';
  let n = 0;
  runBusContract(`the Kafka bus on a ${peer.kind} peer`, {
    // Every case gets topics of its own (a fresh prefix; reopen keeps it): a case never meets
    // records of an earlier case or run, on a fresh peer or on one that has served many runs.
    async open() {
      prefix = runTopicPrefix('contract');
      return createKafkaBus(options(peer, prefix));
    },
    async reopen(previous) {
      await previous.close();
      return createKafkaBus(options(peer, prefix));
    },
    cleanup: async () => undefined, // the peer is stopped after the second run below
    uniqueGroup: (p) => `${p}-${run}-${++n}`,
  });
  // The same contract for subscriptions that fetch ahead of their handler (the writer's).
  runBusContract(`the Kafka bus on a ${peer.kind} peer, every subscription with prefetch`, {
    async open() {
      prefix = runTopicPrefix('contract-prefetch');
      return withPrefetch(await createKafkaBus(options(peer, prefix)));
    },
    async reopen(previous) {
      await previous.close();
      return withPrefetch(await createKafkaBus(options(peer, prefix)));
    },
    cleanup: () => peer.stop(),
    uniqueGroup: (p) => `${p}-${run}-${++n}`,
  });
} else {
  describe.skip('the Kafka bus contract', () => {
    it(`is skipped: ${start.reason}`, () => undefined);
  });
}
