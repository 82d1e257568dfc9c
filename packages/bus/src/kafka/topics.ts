import kafkajs from 'kafkajs';
import type { Admin, ITopicConfig } from 'kafkajs';
import { GanzhiError } from '@ganzhi/schemas';
import type { Logger } from '@ganzhi/log';
import { describe } from './errors';

export interface TopicSpec {
  /** The topic's name on the cluster (prefix included). */
  readonly topic: string;
  /** A state log: `cleanup.policy=compact`, so the latest value of every key is kept for ever. */
  readonly compact?: boolean;
}

export interface PeerCapabilities {
  /** The cluster names a controller among its brokers (admin requests and idempotence need one). */
  readonly hasController: boolean;
  /** Brokers in the cluster's metadata. */
  readonly brokerCount: number;
}

/** What the topics Ganzhi creates should look like. */
export interface TopicLayout {
  readonly partitions: number;
  /** Undefined: min(3, brokers). */
  readonly replicationFactor: number | undefined;
  /** Undefined: the broker's `min.insync.replicas`. */
  readonly minInsyncReplicas: number | undefined;
}

/** One way an existing topic differs from what Ganzhi expects. */
export interface TopicMismatch {
  readonly topic: string;
  readonly setting: 'partitions' | 'cleanup.policy' | 'replication' | 'min.insync.replicas';
  readonly expected: string;
  readonly actual: string;
  /** Fatal mismatches stop start-up (a state log that is not compacted loses state). */
  readonly fatal: boolean;
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
 * The replication factor and `min.insync.replicas` that can actually be had on this cluster, with a
 * warning for each wish that cannot be met (more replicas than brokers; more in-sync replicas than
 * replicas) and for a single copy of the data.
 */
export function effectiveLayout(caps: PeerCapabilities, wanted: TopicLayout, log: Logger): { replicationFactor: number; minInsyncReplicas: number | undefined } {
  const brokers = Math.max(1, caps.brokerCount);
  let rf = wanted.replicationFactor ?? Math.min(3, brokers);
  if (rf > brokers) {
    log.warn({ replicationFactor: rf, brokers }, `KAFKA_REPLICATION_FACTOR ${rf} cannot be met by ${brokers} broker(s): new topics get ${brokers} replica(s)`);
    rf = brokers;
  } else if (rf === 1 && caps.hasController) {
    log.warn({ brokers }, 'kafka topics are created with one replica: losing that broker loses acknowledged records (set KAFKA_REPLICATION_FACTOR=3 on a production cluster)');
  }
  let isr = wanted.minInsyncReplicas;
  if (isr !== undefined && isr > rf) {
    log.warn({ minInsyncReplicas: isr, replicationFactor: rf }, `KAFKA_MIN_INSYNC_REPLICAS ${isr} cannot be met with ${rf} replica(s): new topics get min.insync.replicas=${rf}`);
    isr = rf;
  }
  return { replicationFactor: rf, minInsyncReplicas: isr };
}

/**
 * Creates the topics that do not exist yet (kafkajs speaks CreateTopics v3, which cannot ask for
 * the broker's default replication), then checks the ones that existed: partitions, replication,
 * and `cleanup.policy` / `min.insync.replicas` where the cluster can describe configs. Resolves
 * with every mismatch; the caller decides what is fatal. Without a controller (the librdkafka
 * mock) topics are left to the broker's auto-creation and only partitions are checked.
 */
export async function ensureTopics(admin: Admin, caps: PeerCapabilities, specs: readonly TopicSpec[], wanted: TopicLayout, log: Logger): Promise<TopicMismatch[]> {
  if (specs.length === 0) return [];
  const layout = effectiveLayout(caps, wanted, log);
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) {
    if (!caps.hasController) {
      log.warn({ topics: missing.map((s) => s.topic) }, 'kafka peer has no controller: relying on topic auto-creation');
    } else {
      const topics: ITopicConfig[] = missing.map((s) => ({
        topic: s.topic,
        numPartitions: wanted.partitions,
        replicationFactor: layout.replicationFactor,
        configEntries: [
          ...(s.compact ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
          ...(layout.minInsyncReplicas !== undefined ? [{ name: 'min.insync.replicas', value: String(layout.minInsyncReplicas) }] : []),
        ],
      }));
      try {
        await admin.createTopics({ topics, waitForLeaders: true });
      } catch (err) {
        // Another instance may have created them meanwhile; anything else is logged and left to
        // auto-creation rather than failing start-up (the check below names what is wrong).
        const type = (err as { type?: unknown }).type;
        if (type !== 'TOPIC_ALREADY_EXISTS') log.warn({ err: describe(err) }, 'kafka createTopics failed');
      }
    }
  }
  const checked = specs.filter((s) => existing.has(s.topic));
  return checked.length === 0 ? [] : checkTopics(admin, caps, checked, wanted.partitions, layout, log);
}

async function checkTopics(
  admin: Admin,
  caps: PeerCapabilities,
  specs: readonly TopicSpec[],
  partitions: number,
  layout: { replicationFactor: number; minInsyncReplicas: number | undefined },
  log: Logger,
): Promise<TopicMismatch[]> {
  const out: TopicMismatch[] = [];
  const meta = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
  for (const t of meta.topics) {
    if (t.partitions.length !== partitions) {
      out.push({ topic: t.name, setting: 'partitions', expected: String(partitions), actual: String(t.partitions.length), fatal: false });
    }
    const replicas = Math.min(...t.partitions.map((p) => p.replicas.length));
    if (caps.hasController && replicas < layout.replicationFactor) {
      out.push({ topic: t.name, setting: 'replication', expected: String(layout.replicationFactor), actual: String(replicas), fatal: false });
    }
  }
  if (!caps.hasController) return out; // DescribeConfigs goes to the controller
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: specs.map((s) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name: s.topic, configNames: ['cleanup.policy', 'min.insync.replicas'] })),
    });
    const compact = new Map(specs.map((s) => [s.topic, s.compact === true]));
    for (const r of resources) {
      const value = (name: string) => r.configEntries.find((e) => e.configName === name)?.configValue;
      const policy = value('cleanup.policy') ?? 'delete';
      const wantCompact = compact.get(r.resourceName) ?? false;
      const isCompact = policy.split(',').includes('compact');
      const isDelete = policy.split(',').includes('delete');
      if (wantCompact && (!isCompact || isDelete)) {
        out.push({ topic: r.resourceName, setting: 'cleanup.policy', expected: 'compact', actual: policy, fatal: true });
      } else if (!wantCompact && !isDelete) {
        out.push({ topic: r.resourceName, setting: 'cleanup.policy', expected: 'delete', actual: policy, fatal: false });
      }
      const isr = value('min.insync.replicas');
      if (layout.minInsyncReplicas !== undefined && isr !== undefined && Number(isr) < layout.minInsyncReplicas) {
        out.push({ topic: r.resourceName, setting: 'min.insync.replicas', expected: String(layout.minInsyncReplicas), actual: isr, fatal: false });
      }
    }
  } catch (err) {
    log.warn({ err: describe(err) }, 'kafka describeConfigs failed: cleanup policies of existing topics not checked');
  }
  return out;
}

/** Logs every mismatch, and throws GANZHI_ERR_BUS_TOPIC_MISMATCH naming the fatal ones. */
export function reportMismatches(mismatches: readonly TopicMismatch[], log: Logger): void {
  for (const m of mismatches) {
    const line = `kafka topic ${m.topic}: ${m.setting} is ${m.actual}, expected ${m.expected}`;
    if (m.fatal) log.error({ ...m }, line);
    else log.warn({ ...m }, line);
  }
  const fatal = mismatches.filter((m) => m.fatal);
  if (fatal.length > 0) {
    throw new GanzhiError(
      'GANZHI_ERR_BUS_TOPIC_MISMATCH',
      fatal.map((m) => `${m.topic}: ${m.setting} is ${m.actual}, expected ${m.expected}`).join('; '),
      { details: { mismatches: fatal.map((m) => ({ ...m })) } },
    );
  }
}
