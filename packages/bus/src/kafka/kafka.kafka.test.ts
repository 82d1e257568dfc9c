import { describe, it } from 'vitest';
import { TOPIC_NAMES } from '@ganzhi/schemas';
import { reportKafkaPeer, startKafkaPeer } from '@ganzhi/testkit';
import type { KafkaPeer } from '@ganzhi/testkit';
import { runBusContract } from '../contract';
import { createKafkaBus } from './kafka-bus';
import type { KafkaBusOptions } from './options';

const PARTITIONS = 6;
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

function options(peer: KafkaPeer): KafkaBusOptions {
  return {
    brokers: peer.brokers,
    clientId: `contract-${run}`,
    partitions: PARTITIONS,
    // Short group timings keep rebalances (a member leaving, a reopen) quick on a test cluster.
    consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitMs: 100 },
  };
}

const peerOptions = { topics: TOPIC_NAMES, partitions: PARTITIONS };
const start = await startKafkaPeer(peerOptions);
reportKafkaPeer('bus contract (packages/bus/src/kafka)', start);

if (start.peer) {
  let current: KafkaPeer = start.peer;
  let first = true;
  let n = 0;
  runBusContract(`the Kafka bus on a ${current.kind} peer`, {
    async open() {
      // The librdkafka mock answers a Fetch with one record batch per partition, so a group that
      // never acknowledges would only ever see the oldest batch of a partition shared with earlier
      // cases. Each case gets a fresh mock cluster (a tenth of a second); real clusters are shared.
      if (current.kind === 'mock' && !first) {
        await current.stop();
        const next = await startKafkaPeer(peerOptions);
        if (!next.peer) throw new Error(next.reason);
        current = next.peer;
      }
      first = false;
      return createKafkaBus(options(current));
    },
    async reopen(previous) {
      await previous.close();
      return createKafkaBus(options(current));
    },
    cleanup: () => current.stop(),
    uniqueGroup: (prefix) => `${prefix}-${run}-${++n}`,
  });
} else {
  describe.skip('the Kafka bus contract', () => {
    it(`is skipped: ${start.reason}`, () => undefined);
  });
}
