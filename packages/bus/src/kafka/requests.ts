/**
 * Kafka requests made by one bus (its producer, admin client, consumers and state readers), by
 * API name (Produce, Fetch, Heartbeat, OffsetCommit, ListOffsets...), counted from kafkajs'
 * instrumentation events: the round trips a record costs across the stages of a process.
 */
export class RequestCounter {
  readonly #counts = new Map<string, number>();

  /** A listener for kafkajs' `*.network.request` events. */
  readonly listener = (e: { readonly payload: { readonly apiName: string } }): void => {
    const name = e.payload.apiName;
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1);
  };

  snapshot(): Readonly<Record<string, number>> {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}
