import { openKeyedView, type Bus, type KeyedView } from '@ganzhi/bus';
import { AuditHeadSchema, SilenceSchema, type AuditHead, type Silence } from '@ganzhi/schemas';

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

/**
 * The newest signed audit-chain head of every device, followed from `ganzhi.audit-heads.v1` by a
 * consumer group of `owner`'s own (the API checks the store against them).
 */
export function openHeadsView(bus: Bus, owner: string): Promise<KeyedView<AuditHead>> {
  return openKeyedView(bus, {
    topic: 'ganzhi.audit-heads.v1',
    group: `${owner}.audit-heads`,
    name: `${owner}.audit-heads`,
    toEntry: (h) => ({ key: h.deviceId, value: h }),
    decode: (v) => AuditHeadSchema.parse(v),
  });
}
