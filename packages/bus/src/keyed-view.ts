import type { TopicName, TopicValue } from '@ganzhi/schemas';
import type { Bus } from './bus';
import { StateCache } from './state-cache';

export interface KeyedView<V> {
  get(key: string): V | undefined;
  values(): V[];
  close(): Promise<void>;
}

export interface KeyedViewOptions<N extends TopicName, V> {
  topic: N;
  /** A consumer group of this view's own: every instance that needs the whole topic has one. */
  group: string;
  /** State-log name where the view persists what it has applied (so a restart needs no replay). */
  name: string;
  /** What a record means for the view: a key set to a value, or removed (null). */
  toEntry(value: TopicValue<N>): { key: string; value: V | null };
  decode(value: unknown): V;
}

/**
 * A materialised view of a keyed topic (e.g. the silences): every record is applied in order,
 * persisted in the view's state log, and only then acknowledged.
 */
export async function openKeyedView<N extends TopicName, V>(bus: Bus, options: KeyedViewOptions<N, V>): Promise<KeyedView<V>> {
  const cache = await StateCache.open(bus, options.name, options.decode);
  let snapshot: V[] | undefined;
  const handlers = {
    [options.topic]: async (batch: readonly { value: TopicValue<N> }[]) => {
      for (const { value } of batch) {
        const entry = options.toEntry(value);
        if (entry.value === null) cache.delete(entry.key);
        else cache.set(entry.key, entry.value);
      }
      snapshot = undefined;
      await cache.flush();
    },
  } as unknown as Parameters<Bus['subscribe']>[1];
  const sub = await bus.subscribe(options.group, handlers, { start: 'earliest' });
  return {
    get: (key) => cache.get(key),
    values: () => (snapshot ??= [...cache.keys()].map((k) => cache.get(k)!)),
    close: () => sub.close(),
  };
}
