import type { Store } from '@ganzhi/store';
import { overlay } from './delegate';
import type { Metrics } from './metrics';

export interface ObservedStore extends Store {
  /**
   * Whether the store answers now: a small read (the row count of a device id no device has),
   * bounded by `timeoutMs`. Concurrent calls share one probe. Sets `ganzhi_store_up`.
   */
  probe(timeoutMs?: number): Promise<boolean>;
}

const PROBE_DEVICE = 'ganzhi-readiness-probe';

/**
 * The store with its writes measured (rows, latency and failures by table) and a reachability
 * probe for readiness. A failed write marks the store down until a write or a probe succeeds.
 */
export function instrumentStore(store: Store, metrics: Metrics): ObservedStore {
  metrics.storeUp.set(1);
  const timed = async <T>(table: string, rows: number, write: () => Promise<T>): Promise<T> => {
    const end = metrics.storeWriteSeconds.startTimer({ table });
    try {
      const out = await write();
      end();
      metrics.storeWrittenRows.inc({ table }, rows);
      metrics.storeUp.set(1);
      return out;
    } catch (err) {
      metrics.storeWriteFailures.inc({ table });
      metrics.storeUp.set(0);
      throw err;
    }
  };
  let probing: Promise<boolean> | undefined;
  const probe = (timeoutMs = 3000): Promise<boolean> => {
    probing ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`store probe timed out after ${timeoutMs} ms`)), timeoutMs);
        });
        await Promise.race([store.countReadings(PROBE_DEVICE), timeout]);
        metrics.storeUp.set(1);
        return true;
      } catch {
        metrics.storeUp.set(0);
        return false;
      } finally {
        clearTimeout(timer);
        probing = undefined;
      }
    })();
    return probing;
  };
  return overlay(store as ObservedStore, {
    writeReadings: (readings: Parameters<Store['writeReadings']>[0]) => timed('readings', readings.length, () => store.writeReadings(readings)),
    writeAlertEvents: (changes: Parameters<Store['writeAlertEvents']>[0]) => timed('alert_events', changes.length, () => store.writeAlertEvents(changes)),
    probe,
  });
}
