import type { DeadLetter, Reading } from '@ganzhi/schemas';
import type { Delivery } from './bus';

/**
 * Helpers for the bus contract suite: test values tagged with a run marker (so that tests sharing
 * a cluster only look at their own records) and a collector that waits with a deadline.
 */

export const WAIT_MS = 20_000;

/** A marker safe inside ids and keys: letters, digits, '_', '.', '-'. */
export function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '-').slice(-100);
}

/** A valid `ganzhi.readings.v1` value; `sourceId` carries the run marker, the key and the sequence. */
export function reading(run: string, deviceId: string, seq: number): Reading {
  const ts = 1_700_000_000_000 + seq;
  return {
    deviceId,
    kind: 'river_gauge',
    ts,
    metrics: { level: { value: seq / 10, unit: 'm', quality: 'N' } },
    sourceId: `${run}|${deviceId}|${seq}`,
    receivedAt: ts + 5,
  };
}

export function isMine(run: string, value: { sourceId?: unknown } | null | undefined): boolean {
  return typeof value?.sourceId === 'string' && value.sourceId.startsWith(`${run}|`);
}

export function seqOf(value: Reading): number {
  return Number(value.sourceId.split('|')[2]);
}

/** Dead letters written by `stage` about records of this run. */
export function isMyLetter(run: string, stage: string, letter: DeadLetter): boolean {
  return letter.stage === stage && isMine(run, letter.source.value as { sourceId?: unknown });
}

/** Accumulates items and lets a test wait, with a deadline, until they satisfy a condition. */
export class Collector<T> {
  readonly items: T[] = [];
  private wake: (() => void) | null = null;

  push(...items: T[]): void {
    this.items.push(...items);
    this.wake?.();
  }

  /** Resolves with the items once `done(items)` holds; rejects after `timeoutMs`. */
  async until(done: (items: readonly T[]) => boolean, what: string, timeoutMs = WAIT_MS): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.items)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (have ${this.items.length} items)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    return this.items;
  }

  /** Waits until `count` items are held. */
  count(count: number, what: string, timeoutMs = WAIT_MS): Promise<T[]> {
    return this.until((items) => items.length >= count, `${count} ${what}`, timeoutMs);
  }
}

/** The readings of this run in a delivered batch. */
export function mine(run: string, batch: readonly Delivery<Reading>[]): Delivery<Reading>[] {
  return batch.filter((d) => isMine(run, d.value));
}
