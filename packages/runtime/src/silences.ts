import { openKeyedView, type Bus, type KeyedView } from '@ganzhi/bus';
import { SilenceSchema, type Silence } from '@ganzhi/schemas';

/**
 * The current silences, followed from `ganzhi.silences.v1` by a consumer group of `owner`'s own
 * (every alert manager and API instance needs all of them), persisted in its state log.
 */
export function openSilencesView(bus: Bus, owner: string): Promise<KeyedView<Silence>> {
  return openKeyedView(bus, {
    topic: 'ganzhi.silences.v1',
    group: `${owner}.silences`,
    name: `${owner}.silences`,
    toEntry: (c) => ({ key: c.id, value: c.action === 'set' && c.silence ? c.silence : null }),
    decode: (v) => SilenceSchema.parse(v),
  });
}
