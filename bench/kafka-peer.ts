/**
 * Holds one Kafka peer (`startKafkaPeer()`: the librdkafka mock cluster here) until SIGTERM or
 * SIGINT and prints its brokers, for runs that should share one long-lived broker: the probes in
 * Kafka mode and `npm run test:kafka` run again and again on one broker.
 *
 *   node --import tsx bench/kafka-peer.ts &            # prints KAFKA_BROKERS=127.0.0.1:NNNNN
 *   PROBE_ENV="GANZHI_BUS=kafka KAFKA_BROKERS=..." npx tsx bench/alert-probe.ts 500 30
 *   KAFKA_BROKERS=... npm run test:kafka
 */
import { TOPIC_NAMES } from '@ganzhi/schemas';
import { startKafkaPeer } from '@ganzhi/testkit';

const started = await startKafkaPeer({ topics: TOPIC_NAMES, partitions: 12 });
if (!started.peer) throw new Error(`no Kafka peer: ${started.reason}`);
const peer = started.peer;
console.log(`KAFKA_BROKERS=${peer.brokers.join(',')}  (${peer.description})`);
const keepAlive = setInterval(() => undefined, 1 << 30);
const stop = () => {
  clearInterval(keepAlive);
  void peer.stop().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
