/**
 * A rate as the count of the previous whole second (a fixed one-second window): cheap enough to
 * call per event, and all a linger needs to decide whether anything would join it. After a pause
 * longer than a second, the previous second had none.
 */
export class PreviousSecondRate {
  #since = 0;
  #count = 0;
  #previous = 0;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Counts `n` events now. */
  add(n = 1): void {
    this.#roll();
    this.#count += n;
  }

  /** Events counted in the previous whole second. */
  get previous(): number {
    this.#roll();
    return this.#previous;
  }

  #roll(): void {
    const now = this.#now();
    if (now - this.#since < 1000) return;
    this.#previous = now - this.#since < 2000 ? this.#count : 0;
    this.#count = 0;
    this.#since = now;
  }
}

/**
 * A linger (a group-commit window, a producer's linger.ms) used only while events come often
 * enough that anything would join it: at least `fromRate` in the previous second (default
 * 500 / lingerMs, the rate at which half an event is expected within the window: 50/s for 10 ms).
 * Below it, waiting would only add latency. Both buses use it: the embedded log counts appends,
 * the Kafka producer records.
 */
export class RateGatedLinger {
  readonly #ms: number;
  readonly #fromRate: number;
  readonly #rate: PreviousSecondRate;

  constructor(lingerMs: number, fromRate?: number, now?: () => number) {
    this.#ms = Math.max(0, lingerMs);
    this.#fromRate = fromRate ?? 500 / this.#ms;
    this.#rate = new PreviousSecondRate(now);
  }

  /** Counts `n` events now (nothing to count without a linger). */
  count(n = 1): void {
    if (this.#ms > 0) this.#rate.add(n);
  }

  /** The linger for an event now: the configured one while events came often enough, else 0. */
  get ms(): number {
    if (this.#ms <= 0) return 0;
    return this.#rate.previous >= this.#fromRate ? this.#ms : 0;
  }
}
