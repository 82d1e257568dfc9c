import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { GanzhiError } from '@ganzhi/schemas';
import type { Logger } from '@ganzhi/log';
import type { StateLog } from '../bus';
import { keyOf, toOutRecord } from './codec';
import { describe, unavailable } from './errors';
import type { ResolvedOptions } from './options';
import type { OutRecord } from './batcher';

export interface StateLogContext {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly options: ResolvedOptions;
  readonly log: Logger;
  send(records: readonly OutRecord[]): Promise<void>;
}

/**
 * A stage's keyed state on a compacted changelog topic. `put` produces keyed JSON values (null is
 * a tombstone) through the bus's batching producer and resolves on acknowledgement; `restore`
 * reads the whole topic up to its high watermarks and keeps the latest value per key.
 *
 * Restore reads every partition (with a throwaway consumer group, as kafkajs has no manual
 * assignment); restoring only the partitions a member is assigned is a later step.
 */
export function kafkaStateLog<T>(ctx: StateLogContext, topic: string, decode: (value: unknown) => T): StateLog<T> {
  return {
    put(entries) {
      return ctx.send(entries.map((e) => toOutRecord(topic, e.key, e.value)));
    },
    restore() {
      return restore(ctx, topic, decode);
    },
  };
}

async function restore<T>(ctx: StateLogContext, topic: string, decode: (value: unknown) => T): Promise<Map<string, T>> {
  const state = new Map<string, T>();
  let ends: Map<number, bigint>;
  try {
    const offsets = await ctx.admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  } catch (err) {
    throw unavailable(`restore of ${topic}: reading its offsets`, err);
  }
  if (ends.size === 0) return state;

  const o = ctx.options;
  const consumer = ctx.kafka.consumer({
    groupId: `${o.clientId}.restore.${topic}.${randomUUID()}`,
    sessionTimeout: o.sessionTimeoutMs,
    heartbeatInterval: o.heartbeatIntervalMs,
    maxWaitTimeInMs: o.maxWaitMs,
    allowAutoTopicCreation: false,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`not read to its end within ${o.restoreTimeoutMs} ms`)), o.restoreTimeoutMs);
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition);
            if (end === undefined) return;
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= end) break;
              const key = keyOf(m);
              if (m.value === null) {
                state.delete(key);
                continue;
              }
              try {
                state.set(key, decode(JSON.parse(m.value.toString('utf8')) as unknown));
              } catch (err) {
                reject(new GanzhiError('GANZHI_ERR_BUS_DECODE', `state ${topic} key ${key} at ${batch.partition}/${m.offset}: ${describe(err)}`, { cause: err }));
                return;
              }
            }
            const last = batch.messages[batch.messages.length - 1];
            if (last !== undefined && BigInt(last.offset) + 1n >= end) ends.delete(batch.partition);
            if (ends.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } catch (err) {
    if (err instanceof GanzhiError) throw err;
    throw unavailable(`restore of ${topic}`, err);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch((err: unknown) => ctx.log.warn({ err: describe(err) }, 'restore consumer disconnect failed'));
  }
  return state;
}
