import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '@ganzhi/log';
import { createDuckDbStore, type DuckDbStore } from '../duckdb-store';
import type { FromStoreThread, StoreThreadInit, ToStoreThread } from './protocol';
import { toWire } from './protocol';
import { unpackReadings, type PackedReadings } from './packed-readings';

/**
 * The DuckDB store's own thread: it opens the store and answers the calls the main thread's
 * proxy posts, one message each way. Log records go back to the main thread's logger.
 */
const port = parentPort;
if (!port) throw new Error('the store thread runs as a worker thread');
const init = workerData as StoreThreadInit;
const post = (m: FromStoreThread): void => port.postMessage(m);

const logger = createLogger({
  level: init.logLevel,
  destination: {
    write(line: string): void {
      post({ log: line });
    },
  },
});

let store: DuckDbStore;
try {
  store = await createDuckDbStore({ ...init.options, logger });
} catch (err) {
  post({ ready: false, error: toWire(err) });
  port.close();
  throw err;
}
post({ ready: true });

port.on('message', (m: ToStoreThread) => {
  const method = store[m.method] as (...args: unknown[]) => Promise<unknown>;
  // Readings come packed (packed-readings.ts); everything else as structured clones.
  const args = m.method === 'writeReadings' ? [unpackReadings(m.args[0] as PackedReadings)] : m.args;
  method.apply(store, args).then(
    (value) => {
      post({ id: m.id, value });
      if (m.method === 'close') port.close();
    },
    (err: unknown) => post({ id: m.id, error: toWire(err) }),
  );
});
