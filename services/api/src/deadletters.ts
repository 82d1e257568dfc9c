import { StateCache, type Bus, type Subscription } from '@ganzhi/bus';
import { DeadLetterSchema, type DeadLetter } from '@ganzhi/schemas';

export interface DeadLetterView {
  /** Kept dead letters, newest first. */
  list(): DeadLetter[];
  readonly size: number;
  close(): Promise<void>;
}

/**
 * The newest `capacity` dead letters, read from `ganzhi.deadletter.v1` by a consumer group of
 * this API instance's own and kept in its state log (so a restart shows them again): the older
 * ones are tombstoned as new ones arrive, so the view stays bounded however much is refused.
 */
export async function openDeadLetterView(bus: Bus, owner: string, capacity = 1000): Promise<DeadLetterView> {
  const cache = await StateCache.open(bus, `${owner}.deadletters`, (v) => DeadLetterSchema.parse(v));
  let sorted: DeadLetter[] | undefined;
  const all = () => [...cache.keys()].map((k) => cache.get(k)!);
  const sub: Subscription = await bus.subscribe(
    `${owner}.deadletters`,
    {
      'ganzhi.deadletter.v1': async (batch) => {
        for (const { value, partition, offset } of batch) cache.set(`${partition}:${offset}:${value.id}`, value);
        if (cache.size > capacity) {
          const keys = [...cache.keys()].sort((a, b) => cache.get(a)!.at - cache.get(b)!.at);
          for (const k of keys.slice(0, cache.size - capacity)) cache.delete(k);
        }
        sorted = undefined;
        await cache.flush();
      },
    },
    { start: 'earliest' },
  );
  return {
    list: () => (sorted ??= all().sort((a, b) => b.at - a.at)),
    get size() {
      return cache.size;
    },
    close: () => sub.close(),
  };
}
