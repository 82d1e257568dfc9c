import { randomBytes } from 'node:crypto';
import { findDockerEngine } from './docker';
import { mockUnavailableReason, startMockCluster } from './mock-cluster';

export type KafkaPeerKind = 'env' | 'testcontainers' | 'mock';

/** Fault injection, on the librdkafka mock only. Broker ids start at 1; -1 means every broker. */
export interface KafkaPeerControl {
  brokerDown(id: number): Promise<void>;
  brokerUp(id: number): Promise<void>;
  /** Adds a round-trip delay to a broker's responses. */
  setRtt(id: number, ms: number): Promise<void>;
  /** Creates a topic (the mock implements no CreateTopics request). */
  createTopic(name: string, partitions: number, replicationFactor?: number): Promise<void>;
  /**
   * rd_kafka_mock_set_apiversion: the versions the mock offers of an API it implements (-1, -1
   * hides it). It adds no API: one without a handler in the mock (SASL) stays absent.
   */
  setApiVersion(apiKey: number, min: number, max: number): Promise<void>;
}

export interface KafkaPeer {
  readonly brokers: string[];
  readonly kind: KafkaPeerKind;
  /** One line saying which peer this is, for test output. */
  readonly description: string;
  readonly control?: KafkaPeerControl;
  stop(): Promise<void>;
}

export type KafkaPeerStart = { readonly peer: KafkaPeer; readonly reason?: undefined } | { readonly peer: undefined; readonly reason: string };

export interface KafkaPeerOptions {
  /** Defaults to process.env. Reads KAFKA_BROKERS, GANZHI_KAFKA_PEER, DOCKER_HOST. */
  readonly env?: NodeJS.ProcessEnv;
  /** Brokers of the mock cluster (default 1). */
  readonly mockBrokers?: number;
  /** Topics to create on the mock at start, `partitions` each (the mock would auto-create them with 4). */
  readonly topics?: readonly string[];
  readonly partitions?: number;
  /** cp-kafka image for testcontainers (default confluentinc/cp-kafka:7.6.1, KRaft). */
  readonly image?: string;
}

/**
 * A Kafka-protocol peer for tests, the first available of:
 *  1. `KAFKA_BROKERS` (comma-separated host:port), an existing cluster;
 *  2. a testcontainers Kafka (KRaft), when a Docker engine answers;
 *  3. librdkafka's mock cluster, served by .ci/kafka-mock/mock_cluster.c compiled with gcc.
 * `GANZHI_KAFKA_PEER=env|testcontainers|mock` forces one. Resolves `{ peer: undefined, reason }`
 * when none is possible; tests then skip and print the reason.
 */
export async function startKafkaPeer(options: KafkaPeerOptions = {}): Promise<KafkaPeerStart> {
  const env = options.env ?? process.env;
  const forced = env.GANZHI_KAFKA_PEER as KafkaPeerKind | undefined;
  const reasons: string[] = [];

  if (!forced || forced === 'env') {
    const brokers = (env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
    if (brokers.length > 0) {
      return { peer: { brokers, kind: 'env', description: `KAFKA_BROKERS=${brokers.join(',')}`, stop: async () => undefined } };
    }
    reasons.push('KAFKA_BROKERS is not set');
  }

  if (!forced || forced === 'testcontainers') {
    const engine = await findDockerEngine(env);
    if (engine) {
      try {
        return { peer: await startContainer(options.image ?? 'confluentinc/cp-kafka:7.6.1', engine) };
      } catch (err) {
        reasons.push(`testcontainers Kafka failed to start on ${engine}: ${err instanceof Error ? err.message : String(err)}`);
      }
    } else {
      reasons.push('no Docker engine answers (DOCKER_HOST or /var/run/docker.sock)');
    }
  }

  if (!forced || forced === 'mock') {
    const why = mockUnavailableReason();
    if (why === undefined) {
      try {
        return { peer: await startMock(options) };
      } catch (err) {
        reasons.push(`librdkafka mock cluster failed to start: ${err instanceof Error ? err.message : String(err)}`);
      }
    } else {
      reasons.push(`librdkafka mock cluster unavailable: ${why}`);
    }
  }
  return { peer: undefined, reason: `no Kafka peer${forced ? ` (GANZHI_KAFKA_PEER=${forced})` : ''}: ${reasons.join('; ')}` };
}

async function startMock(options: KafkaPeerOptions): Promise<KafkaPeer> {
  const brokerCount = options.mockBrokers ?? 1;
  const mock = await startMockCluster(brokerCount);
  const rf = Math.min(3, brokerCount);
  const control: KafkaPeerControl = {
    brokerDown: (id) => mock.command(`down ${id}`),
    brokerUp: (id) => mock.command(`up ${id}`),
    setRtt: (id, ms) => mock.command(`rtt ${id} ${ms}`),
    createTopic: (name, partitions, replicationFactor = rf) => mock.command(`topic ${name} ${partitions} ${replicationFactor}`),
    setApiVersion: (apiKey, min, max) => mock.command(`apiversion ${apiKey} ${min} ${max}`),
  };
  try {
    for (const t of options.topics ?? []) await control.createTopic(t, options.partitions ?? 12);
  } catch (err) {
    await mock.stop();
    throw err;
  }
  return {
    brokers: mock.brokers,
    kind: 'mock',
    description: `librdkafka ${mock.version} mock cluster (${brokerCount} broker${brokerCount > 1 ? 's' : ''}) at ${mock.brokers.join(',')}, pid ${mock.pid}`,
    control,
    stop: () => mock.stop(),
  };
}

async function startContainer(image: string, engine: string): Promise<KafkaPeer> {
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const container = await new KafkaContainer(image).withKraft().start();
  const brokers = [`${container.getHost()}:${container.getMappedPort(9093)}`];
  return {
    brokers,
    kind: 'testcontainers',
    description: `testcontainers ${image} (KRaft) on ${engine} at ${brokers.join(',')}`,
    stop: async () => {
      await container.stop();
    },
  };
}

/** Prints which peer a suite uses, or why it is skipped (never skip silently). */
export function reportKafkaPeer(suite: string, start: KafkaPeerStart): void {
  if (start.peer) console.info(`[kafka] ${suite}: using ${start.peer.description}`);
  else console.warn(`[kafka] ${suite}: SKIPPED, ${start.reason}`);
}

/**
 * A topic (and group) prefix of its own for one test run, behind the user's KAFKA_TOPIC_PREFIX:
 * every run gets fresh topics, state logs and groups, so suites can run again and again on one
 * long-lived cluster without wiping it (and beside other users of a shared cluster).
 */
export function runTopicPrefix(suite: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.KAFKA_TOPIC_PREFIX ?? '';
  return `${base}t-${suite}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}.`;
}
