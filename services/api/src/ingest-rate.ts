import type { Store } from '@ganzhi/store';

export interface IngestSampler {
  /** Rows stored and messages accepted per second over the last minute (null until two samples). */
  rates(): { readingsPerSec: number | null; messagesPerSec: number | null; storedReadings: number };
  close(): void;
}

interface Sample {
  t: number;
  stored: number;
  accepted: number | undefined;
}

/**
 * Samples the store's row count (and, in one process, the gateway's accepted-message counter)
 * every `intervalMs`, keeping a minute of samples: the overview's ingest rate works the same on
 * DuckDB and QuestDB, whichever process the API runs in.
 */
export function startIngestSampler(store: Store, accepted: (() => number) | undefined, intervalMs = 10_000): IngestSampler {
  const samples: Sample[] = [];
  const keep = Math.max(2, Math.ceil(60_000 / intervalMs) + 1);
  let busy = false;
  const take = async () => {
    if (busy) return;
    busy = true;
    try {
      samples.push({ t: performance.now(), stored: await store.countReadings(), accepted: accepted?.() });
      if (samples.length > keep) samples.shift();
    } catch {
      // the store may be closing or briefly unreachable: the next sample tries again
    } finally {
      busy = false;
    }
  };
  void take();
  const timer = setInterval(() => void take(), intervalMs);
  timer.unref();
  return {
    rates() {
      const first = samples[0];
      const last = samples[samples.length - 1];
      const storedReadings = last?.stored ?? 0;
      if (!first || !last || last === first) return { readingsPerSec: null, messagesPerSec: null, storedReadings };
      const dt = (last.t - first.t) / 1000;
      const per = (a: number, b: number) => Math.max(0, Math.round(((b - a) / dt) * 10) / 10);
      return {
        readingsPerSec: per(first.stored, last.stored),
        messagesPerSec: first.accepted !== undefined && last.accepted !== undefined ? per(first.accepted, last.accepted) : null,
        storedReadings,
      };
    },
    close: () => clearInterval(timer),
  };
}
