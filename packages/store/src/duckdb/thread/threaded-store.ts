import { Worker } from 'node:worker_threads';
import type { Logger } from '@ganzhi/log';
import { GanzhiError, type Reading } from '@ganzhi/schemas';
import type { Store } from '../../store';
import type { DuckDbStoreOptions } from '../duckdb-store';
import { createWriteGroups, DEFAULT_WRITE_GROUP } from '../groups';
import { rowCount } from '../rows';
import { fromWire, type FromStoreThread, type StoreMethod, type StoreThreadInit, type ToStoreThread } from './protocol';

/** The store thread of a threaded store (for fault tests: terminating it is the thread dying). */
export const STORE_THREAD = Symbol('ganzhi.storeThread');

/**
 * The DuckDB store on a thread of its own (a worker thread of the same process): DuckDB's
 * Appender flushes, its queries and its commits no longer hold the thread that runs the MQTT
 * broker and the stages. The main thread keeps a proxy with the same `Store` contract: it groups
 * writeReadings calls (the linger and row bound of `DuckDbStoreOptions`) and posts each group
 * once; the store thread writes a group in one committing Appender flush (`blockingFlush`, the
 * least CPU per row: holding that thread is harmless), and answers every other call.
 *
 * If the thread dies, every call in flight and every later one fails with
 * GANZHI_ERR_STORE_UNAVAILABLE (retryable: the writer stage keeps its readings in the log).
 */
export async function createThreadedDuckDbStore(options: DuckDbStoreOptions): Promise<Store> {
  const { logger, lingerMs, maxRows, ...rest } = options;
  const init: StoreThreadInit = {
    // Groups are formed here; the thread writes each as it comes.
    options: { ...rest, lingerMs: 0, blockingFlush: rest.blockingFlush ?? true },
    logLevel: logger?.level ?? 'silent',
  };
  const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: init, execArgv: [] });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let nextId = 1;
  let dead: GanzhiError | undefined;
  let closing: Promise<void> | undefined;

  const fail = (err: GanzhiError): void => {
    dead ??= err;
    for (const p of pending.values()) p.reject(dead);
    pending.clear();
  };

  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: FromStoreThread) => {
      if ('log' in m) return relay(logger, m.log);
      if ('ready' in m) return m.ready ? resolve() : reject(fromWire(m.error));
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if ('error' in m) p.reject(fromWire(m.error));
      else p.resolve(m.value);
    });
    worker.on('error', (err) => {
      const failure = new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', `the store thread failed: ${err.message}`, { cause: err });
      logger?.error({ err }, 'the store thread failed');
      fail(failure);
      reject(failure);
    });
    worker.on('exit', (code) => {
      const failure = new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', closing ? 'store is closed' : `the store thread exited (${code})`);
      if (!closing) logger?.error({ code }, 'the store thread exited');
      fail(failure);
      reject(failure);
    });
  });
  await ready;

  function call<T>(method: StoreMethod, args: unknown[]): Promise<T> {
    if (dead) return Promise.reject(dead);
    if (closing && method !== 'close') return Promise.reject(new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', 'store is closed'));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, method, args } satisfies ToStoreThread);
    });
  }

  const groups = createWriteGroups<Reading>(
    { lingerMs: lingerMs ?? DEFAULT_WRITE_GROUP.lingerMs, maxRows: maxRows ?? DEFAULT_WRITE_GROUP.maxRows },
    (items) => call<void>('writeReadings', [items]),
  );

  const store: Store & { [STORE_THREAD]: Worker } = {
    [STORE_THREAD]: worker,
    writeReadings(readings) {
      if (dead) return Promise.reject(dead);
      if (closing) return Promise.reject(new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', 'store is closed'));
      if (readings.length === 0) return Promise.resolve();
      return groups.add(readings, rowCount(readings));
    },
    writeAlertEvents: (changes) => call('writeAlertEvents', [changes]),
    latest: (query) => call('latest', [query]),
    range: (query) => call('range', [query]),
    rollups: (query) => call('rollups', [query]),
    maintain: (now) => call('maintain', [now]),
    alertHistory: (query) => call('alertHistory', [query]),
    alertEvents: (query) => call('alertEvents', [query]),
    countReadings: (deviceId) => call('countReadings', [deviceId]),
    close() {
      closing ??= (async () => {
        // A group accepted before close is still written (as the store itself does).
        await groups.drain().catch(() => undefined);
        if (!dead) await call('close', []).catch(() => undefined);
        await worker.terminate();
      })();
      return closing;
    },
  };
  return store;
}

/** A log record of the store thread, through the main thread's logger (its level and destination). */
function relay(logger: Logger | undefined, line: string): void {
  if (!logger) return;
  try {
    // the main logger stamps its own time and pid
    const { level, msg, time: _time, pid: _pid, ...rest } = JSON.parse(line) as { level: number; msg?: string } & Record<string, unknown>;
    const method = level >= 50 ? 'error' : level >= 40 ? 'warn' : level >= 30 ? 'info' : 'debug';
    logger[method]({ ...rest, thread: 'store' }, msg ?? '');
  } catch {
    logger.info({ thread: 'store' }, line);
  }
}
