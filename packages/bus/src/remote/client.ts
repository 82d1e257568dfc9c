import { GanzhiError, fromWireError, toWireError, type TopicName, type TopicValue } from '@ganzhi/schemas';
import type { Bus, BusRecord, Delivery, HandlerMap, StateLog, StateLogOptions, SubscribeOptions, Subscription } from '../bus';
import type { BusEndpoint, PublishItem, RemoteCall, ToClient, ToHost } from './protocol';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

interface RemoteSub {
  handlers: Record<string, (batch: readonly Delivery<unknown>[]) => Promise<void>>;
  onAssigned?: () => Promise<void>;
}

/**
 * A `Bus` whose records live on another thread, served there by `serveBus`. It keeps the bus
 * contract: `publish` resolves once the owning bus made the records durable (so a PUBACK sent
 * after it means what it means in one thread); a handler call's outcome goes back as the owning
 * bus's handler outcome (a typed retryable error is retried there, any other dead-letters the
 * batch there). The publish calls of one turn of this thread's event loop cross as one message.
 * `close` closes this client's subscriptions, not the bus.
 */
export function connectBus(endpoint: BusEndpoint): Bus {
  const post = (m: ToHost) => endpoint.postMessage(m);
  const publishes = new Map<number, Pending>();
  const calls = new Map<number, Pending>();
  const subs = new Map<number, RemoteSub>();
  let queue: PublishItem[] = [];
  let nextId = 0;
  let closed = false;

  const flush = () => {
    const items = queue;
    queue = [];
    post({ t: 'publish', items });
  };

  const call = (c: RemoteCall): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      calls.set(id, { resolve, reject });
      post({ t: 'call', id, ...c });
    });

  const answer = (callId: number, work: Promise<void>) =>
    work.then(
      () => post({ t: 'handled', call: callId }),
      (err: unknown) => post({ t: 'handled', call: callId, error: toWireError(err) }),
    );

  /** Set by `close` while publishes are still in flight: called once the last is answered. */
  let drained: (() => void) | undefined;
  const settle = (map: Map<number, Pending>, id: number, error: Error | undefined, value?: unknown) => {
    const p = map.get(id);
    map.delete(id);
    if (error) p?.reject(error);
    else p?.resolve(value);
    if (map === publishes && map.size === 0) drained?.();
  };

  const onMessage = (m: ToClient) => {
    switch (m.t) {
      case 'published':
        for (const id of m.ids) settle(publishes, id, undefined);
        break;
      case 'notPublished': {
        const err = fromWireError(m.error);
        for (const id of m.ids) settle(publishes, id, err);
        break;
      }
      case 'result':
        settle(calls, m.id, m.error ? fromWireError(m.error) : undefined, m.value);
        break;
      case 'deliver': {
        const handler = subs.get(m.sub)?.handlers[m.topic];
        answer(m.call, handler ? Promise.resolve().then(() => handler(m.batch)) : Promise.reject(new GanzhiError('GANZHI_ERR_BUS_UNAVAILABLE', `no handler for ${m.topic}`)));
        break;
      }
      case 'assigned': {
        const onAssigned = subs.get(m.sub)?.onAssigned;
        answer(m.call, onAssigned ? Promise.resolve().then(onAssigned) : Promise.resolve());
        break;
      }
    }
  };
  endpoint.on('message', onMessage);

  return {
    publish<N extends TopicName>(topic: N, records: readonly BusRecord<TopicValue<N>>[]): Promise<void> {
      if (closed) return Promise.reject(new GanzhiError('GANZHI_ERR_BUS_CLOSED'));
      if (records.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const id = ++nextId;
        publishes.set(id, { resolve: () => resolve(), reject });
        if (queue.length === 0) setImmediate(flush);
        queue.push({ id, topic, records });
      });
    },

    async subscribe<N extends TopicName>(group: string, handlers: HandlerMap<N>, options: SubscribeOptions = {}): Promise<Subscription> {
      if (closed) throw new GanzhiError('GANZHI_ERR_BUS_CLOSED');
      const { onAssigned, ...rest } = options;
      const sub = ++nextId;
      subs.set(sub, { handlers: handlers as unknown as RemoteSub['handlers'], ...(onAssigned ? { onAssigned } : {}) });
      try {
        await call({ op: 'subscribe', sub, group, topics: Object.keys(handlers) as TopicName[], options: { ...rest, assigned: onAssigned !== undefined } });
      } catch (err) {
        subs.delete(sub);
        throw err;
      }
      let closing: Promise<void> | undefined;
      return {
        close: () =>
          (closing ??= call({ op: 'unsubscribe', sub }).then(
            () => void subs.delete(sub),
            () => void subs.delete(sub),
          )),
      };
    },

    async stateLog<T>(name: string, decode: (value: unknown) => T, options?: StateLogOptions): Promise<StateLog<T>> {
      if (closed) throw new GanzhiError('GANZHI_ERR_BUS_CLOSED');
      const log = (await call({ op: 'stateLog', name, options })) as number;
      return {
        async restore() {
          const raw = (await call({ op: 'restore', log })) as Map<string, unknown>;
          const out = new Map<string, T>();
          for (const [key, value] of raw) out.set(key, decode(value));
          return out;
        },
        async put(entries) {
          await call({ op: 'put', log, entries });
        },
      };
    },

    async close() {
      if (closed) return;
      // subscriptions first (their in-flight handler calls still need answers), then stop listening
      await Promise.all([...subs.keys()].map((sub) => call({ op: 'unsubscribe', sub }).catch(() => undefined)));
      subs.clear();
      closed = true;
      // publishes in flight still get their answers (the host answers each once its bus did)
      if (publishes.size > 0) await new Promise<void>((resolve) => (drained = resolve));
      endpoint.off('message', onMessage);
    },
  };
}
