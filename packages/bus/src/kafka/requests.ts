/**
 * Kafka requests made by one bus (its producer, admin client, consumers and state readers), by
 * API name (Produce, Fetch, Heartbeat, OffsetCommit, ListOffsets...), counted from kafkajs'
 * instrumentation events: the round trips a record costs across the stages of a process. Fetches
 * are also counted per client (a consumer group, a state reader), to see which one polls.
 */
export type RequestListener = (e: { readonly payload: { readonly apiName: string } }) => void;

export class RequestCounter {
  readonly #counts = new Map<string, number>();
  readonly #fetches = new Map<string, number>();

  /** A listener for kafkajs' `*.network.request` events. */
  readonly listener: RequestListener = (e) => {
    const name = e.payload.apiName;
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1);
  };

  /** A listener that also counts the Fetch requests of `client` (a consumer's name). */
  listenerFor(client: string): RequestListener {
    return (e) => {
      this.listener(e);
      if (e.payload.apiName === 'Fetch') this.#fetches.set(client, (this.#fetches.get(client) ?? 0) + 1);
    };
  }

  snapshot(): Readonly<Record<string, number>> {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Fetch requests per consumer. */
  fetchesByClient(): Readonly<Record<string, number>> {
    return Object.fromEntries([...this.#fetches].sort(([a], [b]) => a.localeCompare(b)));
  }
}
