import type { Admin, ITopicConfig } from 'kafkajs';
import type { Logger } from '@ganzhi/log';
import { describe } from './errors';

export interface TopicSpec {
  readonly topic: string;
  readonly compact?: boolean;
}

export interface PeerCapabilities {
  /** The cluster names a controller among its brokers (admin requests and idempotence need one). */
  readonly hasController: boolean;
  /** Brokers in the cluster's metadata. */
  readonly brokerCount: number;
}

/**
 * What the peer can do. librdkafka's mock cluster reports a controller id that is none of its
 * brokers and implements neither CreateTopics nor InitProducerId-on-controller as kafkajs expects,
 * so topic creation falls back to auto-creation and the producer to non-idempotent mode there.
 */
export async function probePeer(admin: Admin): Promise<PeerCapabilities> {
  const { brokers, controller } = await admin.describeCluster();
  return { hasController: controller !== null && brokers.some((b) => b.nodeId === controller), brokerCount: brokers.length };
}

/**
 * Creates the topics that do not exist yet, with `replicationFactor` replicas or else
 * min(3, brokers) (kafkajs speaks CreateTopics v3, which cannot ask for the broker's default).
 * Without a controller (the librdkafka mock) topics are left to the broker's auto-creation (its
 * default partition count, no compaction).
 */
export async function ensureTopics(
  admin: Admin,
  caps: PeerCapabilities,
  specs: readonly TopicSpec[],
  partitions: number,
  replicationFactor: number | undefined,
  log: Logger,
): Promise<void> {
  if (specs.length === 0) return;
  if (!caps.hasController) {
    log.warn({ topics: specs.map((s) => s.topic) }, 'kafka peer has no controller: relying on topic auto-creation');
    return;
  }
  const existing = new Set(await admin.listTopics());
  const topics: ITopicConfig[] = specs
    .filter((s) => !existing.has(s.topic))
    .map((s) => ({
      topic: s.topic,
      numPartitions: partitions,
      replicationFactor: replicationFactor ?? Math.max(1, Math.min(3, caps.brokerCount)),
      ...(s.compact ? { configEntries: [{ name: 'cleanup.policy', value: 'compact' }] } : {}),
    }));
  if (topics.length === 0) return;
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } catch (err) {
    // Another instance may have created them meanwhile; anything else is logged and left to
    // auto-creation rather than failing start-up.
    const type = (err as { type?: unknown }).type;
    if (type !== 'TOPIC_ALREADY_EXISTS') log.warn({ err: describe(err) }, 'kafka createTopics failed');
  }
}
