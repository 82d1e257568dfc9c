/**
 * Runs operations one at a time, in call order. A failed operation rejects its own promise
 * only; the next one still runs.
 */
export interface Serial {
  run<T>(op: () => Promise<T>): Promise<T>;
  /** Resolves once every operation queued so far has settled. */
  idle(): Promise<void>;
}

export function createSerial(): Serial {
  let tail: Promise<void> = Promise.resolve();
  const settle = (): void => undefined;
  return {
    run<T>(op: () => Promise<T>): Promise<T> {
      const result = tail.then(op);
      tail = result.then(settle, settle);
      return result;
    },
    idle: () => tail,
  };
}
