import { Worker } from 'node:worker_threads';
import type { Logger } from '@ganzhi/log';
import { GanzhiError, type Reading } from '@ganzhi/schemas';
import type { Store } from '../../store';
import type { DuckDbStoreOptions } from '../duckdb-store';
import { createWriteGroups, DEFAULT_WRITE_GROUP } from '../groups';
import { rowCount } from '../rows';
import { packReadings, transferList } from './packed-readings';
import { fromWire, type FromStoreThread, type StoreMethod, type StoreThreadInit, type ToStoreThread } from './protocol';

/**
 * The thread's module: from the sources (tsx, as `npm start` runs) the TypeScript worker through
 * a small loader; from the production build (`npm run build`) the bundle built beside the
 * service's own.
 */
const WORKER_ENTRY = import.meta.url.endsWith('.ts') ? new URL('./worker-entry.mjs', import.meta.url) : new URL('./store-worker.js', import.meta.url);

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
 * If the thread dies, the calls in flight and those until a new thread has opened the store again
 * (restarted with a backoff of 0.5 s doubling to 30 s) fail with GANZHI_ERR_STORE_UNAVAILABLE, an
 * outage: the writer stage retries, its readings stay in the log.
 */
export async function createThreadedDuckDbStore(options: DuckDbStoreOptions): Promise<Store> {
  const { logger, lingerMs, maxRows, ...rest } = options;
  const init: StoreThreadInit = {
    // Groups are formed here; the thread writes each as it comes, in one committing flush
    // (holding that thread is harmless), whatever `blockingFlush` says.
    options: { ...rest, lingerMs: 0, blockingFlush: true },
    logLevel: logger?.level ?? 'silent',
  };
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let nextId = 1;
  /** Why calls fail now: the thread is gone (until a new one is ready) or the store is closed. */
  let down: GanzhiError | undefined;
  let closing: Promise<void> | undefined;
  let restarts = 0;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;

  const failPending = (err: GanzhiError): void => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  /** Starts a store thread; resolves once its store is open. */
  function startThread(): Promise<Worker> {
    const w = new Worker(WORKER_ENTRY, { workerData: init, execArgv: [] });
    return new Promise<Worker>((resolve, reject) => {
      let opened = false;
      w.on('message', (m: FromStoreThread) => {
        if ('log' in m) return relay(logger, m.log);
        if ('ready' in m) {
          if (!m.ready) return reject(fromWire(m.error));
          opened = true;
          return resolve(w);
        }
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        if ('error' in m) p.reject(fromWire(m.error));
        else p.resolve(m.value);
      });
      w.on('error', (err) => {
        logger?.error({ err }, 'the store thread failed');
        if (!opened) reject(new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', `the store thread failed: ${err.message}`, { cause: err }));
      });
      w.on('exit', (code) => {
        if (!opened) return reject(new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', `the store thread exited (${code}) while opening`));
        if (closing) return failPending(new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', 'store is closed'));
        // Died while open (a bug, memory): calls fail as an outage (retried by their callers)
        // until a new thread has opened the store again.
        down = new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', `the store thread exited (${code}); restarting it`);
        logger?.error({ code, restarts }, 'the store thread exited; restarting it');
        failPending(down);
        scheduleRestart();
      });
    });
  }

  function scheduleRestart(): void {
    const delay = Math.min(30_000, 500 * 2 ** Math.min(restarts++, 6));
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (closing) return;
      startThread().then(
        (w) => {
          if (closing) {
            void w.terminate();
            return;
          }
          worker = w;
          down = undefined;
          logger?.info({ restarts }, 'the store thread is open again');
        },
        (err: unknown) => {
          logger?.error({ err }, 'restarting the store thread failed');
          scheduleRestart();
        },
      );
    }, delay);
    restartTimer.unref();
  }

  let worker = await startThread();

  function call<T>(method: StoreMethod, args: unknown[], transfer: ArrayBuffer[] = []): Promise<T> {
    if (down) return Promise.reject(down);
    if (closing && method !== 'close') return Promise.reject(new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', 'store is closed'));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, method, args } satisfies ToStoreThread, transfer);
    });
  }

  const groups = createWriteGroups<Reading>(
    { lingerMs: lingerMs ?? DEFAULT_WRITE_GROUP.lingerMs, maxRows: maxRows ?? DEFAULT_WRITE_GROUP.maxRows },
    // Packed (packed-readings.ts): a structured clone of the reading objects, or a JSON round
    // trip, would cost this thread microseconds per reading; packing costs a few map lookups.
    async (items, rows) => {
      const packed = packReadings(items, rows);
      return call<void>('writeReadings', [packed], transferList(packed));
    },
  );

  const store: Store & { [STORE_THREAD]: Worker } = {
    get [STORE_THREAD]() {
      return worker;
    },
    writeReadings(readings) {
      if (down) return Promise.reject(down);
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
        if (restartTimer) clearTimeout(restartTimer);
        await groups.drain().catch(() => undefined);
        if (!down) await call('close', []).catch(() => undefined);
        down = new GanzhiError('GANZHI_ERR_STORE_UNAVAILABLE', 'store is closed');
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
