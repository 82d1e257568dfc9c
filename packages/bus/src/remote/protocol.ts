import type { MessagePort } from 'node:worker_threads';
import type { TopicName, WireError } from '@ganzhi/schemas';
import type { BusRecord, Delivery, StateLogOptions, SubscribeOptions } from '../bus';

/**
 * The messages of a bus served across threads (`serveBus` on the thread that owns the bus,
 * `connectBus` on the other). Every value crosses by structured clone; errors as `WireError`.
 */

/** What either end needs of a MessagePort. */
export type BusEndpoint = Pick<MessagePort, 'postMessage' | 'on' | 'off'>;

/** Subscribe options as they cross: `onAssigned` becomes a flag, called back through `assigned`. */
export interface WireSubscribeOptions extends Omit<SubscribeOptions, 'onAssigned'> {
  readonly assigned: boolean;
}

export type RemoteCall =
  | { op: 'subscribe'; sub: number; group: string; topics: TopicName[]; options: WireSubscribeOptions }
  | { op: 'unsubscribe'; sub: number }
  | { op: 'stateLog'; name: string; options: StateLogOptions | undefined }
  | { op: 'restore'; log: number }
  | { op: 'put'; log: number; entries: readonly { key: string; value: unknown }[] };

/** One publish call of the client; the calls of one turn of its event loop cross as one message. */
export interface PublishItem {
  id: number;
  topic: TopicName;
  records: readonly BusRecord<unknown>[];
}

export type ToHost =
  | { t: 'publish'; items: PublishItem[] }
  | ({ t: 'call'; id: number } & RemoteCall)
  /** The answer to a `deliver` or `assigned`: the handler resolved, or threw `error`. */
  | { t: 'handled'; call: number; error?: WireError };

export type ToClient =
  | { t: 'published'; ids: number[] }
  | { t: 'notPublished'; ids: number[]; error: WireError }
  | { t: 'result'; id: number; value?: unknown; error?: WireError }
  | { t: 'deliver'; call: number; sub: number; topic: TopicName; batch: readonly Delivery<unknown>[] }
  | { t: 'assigned'; call: number; sub: number };
