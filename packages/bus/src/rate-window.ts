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
