import { GanzhiError, fromWireError, toWireError, type TopicName } from '@ganzhi/schemas';
import type { Bus, BusRecord, Delivery, HandlerMap, StateLog, Subscription } from '../bus';
import type { BusEndpoint, PublishItem, RemoteCall, ToClient, ToHost } from './protocol';

export interface BusHost {
  /**
   * Stops serving: the client's subscriptions are closed (a handler call still waiting for the
   * client fails as retryable, so its records stay unacknowledged) and its state logs dropped.
   * The bus itself stays open: it belongs to the caller.
   */
  close(): Promise<void>;
}

/**
 * Serves `bus` to a `connectBus` client at the other end of `endpoint` (a MessagePort to another
 * thread). The bus stays where its files or its Kafka clients are; the client's publishes, handler
 * calls and state-log calls cross as messages. Publishes of one client turn arrive together and
 * go out as one `publish` per topic, so the bus group-commits them as it would its own callers'.
 */
export function serveBus(bus: Bus, endpoint: BusEndpoint): BusHost {
  const post = (m: ToClient) => endpoint.postMessage(m);
  const subs = new Map<number, Promise<Subscription>>();
  const logs = new Map<number, Promise<StateLog<unknown>>>();
  const waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  let nextLog = 0;
  let nextCall = 0;
  let closed = false;

  /** A handler call (or onAssigned) answered by the client. */
  const askClient = (message: (call: number) => ToClient): Promise<void> => {
    if (closed) return Promise.reject(new GanzhiError('GANZHI_ERR_BUS_UNAVAILABLE', 'the remote consumer is gone'));
    const call = ++nextCall;
    return new Promise<void>((resolve, reject) => {
      waiting.set(call, { resolve, reject });
      post(message(call));
    });
  };

  const publish = (items: readonly PublishItem[]) => {
    const byTopic = new Map<TopicName, { ids: number[]; records: BusRecord<unknown>[] }>();
    for (const item of items) {
      let group = byTopic.get(item.topic);
      if (!group) byTopic.set(item.topic, (group = { ids: [], records: [] }));
      group.ids.push(item.id);
      for (const r of item.records) group.records.push(r);
    }
    for (const [topic, { ids, records }] of byTopic) {
      bus.publish(topic, records as BusRecord<never>[]).then(
        () => post({ t: 'published', ids }),
        (err: unknown) => post({ t: 'notPublished', ids, error: toWireError(err) }),
      );
    }
  };

  const perform = async (call: RemoteCall): Promise<unknown> => {
    switch (call.op) {
      case 'subscribe': {
        const handlers: Record<string, (batch: readonly Delivery<unknown>[]) => Promise<void>> = {};
        for (const topic of call.topics) handlers[topic] = (batch) => askClient((c) => ({ t: 'deliver', call: c, sub: call.sub, topic, batch }));
        const { assigned, ...options } = call.options;
        const opened = bus.subscribe(call.group, handlers as HandlerMap<TopicName>, {
          ...options,
          ...(assigned ? { onAssigned: () => askClient((c) => ({ t: 'assigned', call: c, sub: call.sub })) } : {}),
        });
        subs.set(call.sub, opened);
        opened.catch(() => subs.delete(call.sub));
        await opened;
        return undefined;
      }
      case 'unsubscribe': {
        const sub = subs.get(call.sub);
        subs.delete(call.sub);
        await (await sub)?.close();
        return undefined;
      }
      case 'stateLog': {
        const id = ++nextLog;
        // values are decoded on the client's side, with the client's own decoder
        const opened = bus.stateLog(call.name, (v) => v, call.options);
        logs.set(id, opened);
        opened.catch(() => logs.delete(id));
        await opened;
        return id;
      }
      case 'restore':
        return (await logOf(call.log)).restore();
      case 'put':
        return (await logOf(call.log)).put(call.entries);
    }
  };
  const logOf = (id: number): Promise<StateLog<unknown>> => logs.get(id) ?? Promise.reject(new GanzhiError('GANZHI_ERR_BUS_CLOSED', `no state log ${id}`));

  const onMessage = (m: ToHost) => {
    if (m.t === 'publish') {
      if (closed) post({ t: 'notPublished', ids: m.items.map((i) => i.id), error: toWireError(new GanzhiError('GANZHI_ERR_BUS_CLOSED')) });
      else publish(m.items);
    } else if (m.t === 'handled') {
      const w = waiting.get(m.call);
      waiting.delete(m.call);
      if (m.error) w?.reject(fromWireError(m.error));
      else w?.resolve();
    } else {
      const { t: _t, id, ...call } = m;
      (closed ? Promise.reject(new GanzhiError('GANZHI_ERR_BUS_CLOSED')) : perform(call as RemoteCall)).then(
        (value) => post({ t: 'result', id, value }),
        (err: unknown) => post({ t: 'result', id, error: toWireError(err) }),
      );
    }
  };
  endpoint.on('message', onMessage);

  return {
    async close() {
      if (closed) return;
      closed = true;
      endpoint.off('message', onMessage);
      const gone = new GanzhiError('GANZHI_ERR_BUS_UNAVAILABLE', 'the remote consumer is gone');
      for (const w of waiting.values()) w.reject(gone);
      waiting.clear();
      const open = [...subs.values()];
      subs.clear();
      logs.clear();
      await Promise.all(open.map((s) => s.then((sub) => sub.close()).catch(() => undefined)));
    },
  };
}
