export interface EventuallyOptions {
  /** Give up after this long and rethrow the last failure. Default 10 s. */
  timeoutMs?: number;
  /** Pause between attempts. Default 50 ms. */
  intervalMs?: number;
}

/**
 * Calls `fn` until it resolves without throwing, or the deadline passes (then the last error is
 * thrown). For stores whose writes become visible shortly after they resolve (QuestDB WAL
 * tables): assertions go inside `fn`.
 */
export async function eventually<T>(fn: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() + intervalMs > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
