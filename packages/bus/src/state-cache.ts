import type { Bus, StateLog } from './bus';

/**
 * A stateful stage's working set: every key's state in memory, restored from the stage's state
 * log on start, with the keys changed since the last flush written back by `flush()`.
 * The stage calls flush after its outputs are published and before its input is acknowledged.
 */
export class StateCache<T> {
  private readonly dirty = new Set<string>();

  private constructor(
    private readonly log: StateLog<T>,
    private readonly values: Map<string, T>,
  ) {}

  static async open<T>(bus: Bus, name: string, decode: (value: unknown) => T, options: { derived?: boolean } = {}): Promise<StateCache<T>> {
    // Flushed after the stage's outputs and before its input is acknowledged: a checkpoint's sync covers it.
    const log = await bus.stateLog(name, decode, { deferSync: true, ...(options.derived ? { derived: true } : {}) });
    return new StateCache(log, await log.restore());
  }

  get(key: string): T | undefined {
    return this.values.get(key);
  }

  set(key: string, value: T): void {
    this.values.set(key, value);
    this.dirty.add(key);
  }

  delete(key: string): void {
    if (this.values.delete(key)) this.dirty.add(key);
  }

  keys(): IterableIterator<string> {
    return this.values.keys();
  }

  get size(): number {
    return this.values.size;
  }

  /** Writes every changed key (deleted keys as tombstones); resolves once durable. */
  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const entries = [...this.dirty].map((key) => ({ key, value: this.values.get(key) ?? null }));
    this.dirty.clear();
    try {
      await this.log.put(entries);
    } catch (err) {
      for (const e of entries) this.dirty.add(e.key);
      throw err;
    }
  }
}

/**
 * Runs async sections one at a time, in call order: a stage's bus handlers and its timer-driven
 * sweeps share state, so they must not interleave.
 */
export function createSerialQueue(): <R>(section: () => Promise<R>) => Promise<R> {
  let tail: Promise<unknown> = Promise.resolve();
  return <R>(section: () => Promise<R>) => {
    const run = tail.then(section, section);
    tail = run.catch(() => undefined);
    return run;
  };
}
