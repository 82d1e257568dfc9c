import { GanzhiError, isGanzhiError, type ErrorCode } from '@ganzhi/schemas';
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

/** An error as it crosses the thread: a GanzhiError keeps its code, message and details. */
export interface WireError {
  code?: string;
  message: string;
  details?: Record<string, unknown>;
}

export type FromStoreThread =
  | { ready: true }
  | { ready: false; error: WireError }
  | { id: number; value: unknown }
  | { id: number; error: WireError }
  | { log: string };

export function toWire(err: unknown): WireError {
  if (isGanzhiError(err)) {
    const cause = (err as { cause?: unknown }).cause;
    const details = err.details ?? (cause instanceof Error ? { cause: cause.message } : undefined);
    return { code: err.code, message: err.message, ...(details ? { details } : {}) };
  }
  return { message: err instanceof Error ? err.message : String(err) };
}

/** The error again on the main thread: typed as it was thrown, or the store's own unavailability. */
export function fromWire(w: WireError): GanzhiError {
  const err = new GanzhiError((w.code ?? 'GANZHI_ERR_STORE_UNAVAILABLE') as ErrorCode, w.code ? undefined : w.message, w.details ? { details: w.details } : undefined);
  // The thread's message already carries the catalogue's text and the detail.
  if (w.code) Object.defineProperty(err, 'message', { value: w.message, enumerable: false, writable: true, configurable: true });
  return err;
}
