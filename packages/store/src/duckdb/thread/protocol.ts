import { GanzhiError, fromWireError, toWireError, type WireError } from '@ganzhi/schemas';
import type { Store } from '../../store';
import type { DuckDbStoreOptions } from '../duckdb-store';

/** The store methods the thread answers (every method of `Store`). */
export type StoreMethod = keyof Store;

/** What the main thread gives the store thread at start. */
export interface StoreThreadInit {
  options: Omit<DuckDbStoreOptions, 'logger'>;
  logLevel: string;
}

export interface ToStoreThread {
  id: number;
  method: StoreMethod;
  args: unknown[];
}

export type FromStoreThread =
  | { ready: true }
  | { ready: false; error: WireError }
  | { id: number; value: unknown }
  | { id: number; error: WireError }
  | { log: string };

export const toWire = toWireError;

/** The error again on the main thread: typed as it was thrown, or the store's own unavailability. */
export function fromWire(w: WireError): GanzhiError {
  return fromWireError(w, (message) => new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', message)) as GanzhiError;
}
