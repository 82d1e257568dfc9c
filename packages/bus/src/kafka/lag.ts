import type { Admin } from 'kafkajs';

export interface GroupLag {
  readonly group: string;
  readonly topic: string;
  /** Records between the group's committed offsets and the partitions' high watermarks. */
  readonly lag: number;
}

/**
 * Consumer lag of the groups this process subscribed, from Kafka itself: committed offsets
 * (`fetchOffsets`) against high watermarks (`fetchTopicOffsets`), summed over partitions. A
 * partition the group never committed counts from its low watermark (where `earliest` starts).
 * Groups and topics are named as the stages name them; on the cluster both carry `prefix`
 * (KAFKA_TOPIC_PREFIX).
 */
export async function consumerLag(admin: Admin, groups: ReadonlyMap<string, ReadonlySet<string>>, prefix = ''): Promise<GroupLag[]> {
  const out: GroupLag[] = [];
  const ends = new Map<string, Map<number, { low: bigint; high: bigint }>>();
  const endsOf = async (topic: string) => {
    let e = ends.get(topic);
    if (!e) {
      e = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, { low: BigInt(p.low), high: BigInt(p.high) }]));
      ends.set(topic, e);
    }
    return e;
  };
  for (const [group, topics] of groups) {
    const committed = await admin.fetchOffsets({ groupId: `${prefix}${group}`, topics: [...topics].map((t) => `${prefix}${t}`) });
    for (const t of committed) {
      const e = await endsOf(t.topic);
      let lag = 0n;
      for (const p of t.partitions) {
        const end = e.get(p.partition);
        if (!end) continue;
        const from = p.offset === '-1' || p.offset === '' ? end.low : BigInt(p.offset);
        if (end.high > from) lag += end.high - from;
      }
      out.push({ group, topic: t.topic.slice(prefix.length), lag: Number(lag) });
    }
  }
  return out;
}
