import type { TopicName } from '@ganzhi/schemas';
import { decodeRecord } from './codec';
import type { Decoded, FetchedRecord } from './codec';

/**
 * Decoded records shared between the consumer groups of one bus: in one process (`npm start` on
 * Kafka) several stages consume the same topic (readings: rule evaluator and writer; alerts: the
 * writer and the gateway...), and each group's consumer fetches the same records again. The first
 * one to decode a record (JSON and the topic's schema) leaves the result here, keyed by its
 * position, and the others reuse it (deliveries are read-only, see `BatchHandler`). Bounded: the
 * oldest entries go first; a miss only costs the decode.
 */
export class DecodeCache {
  readonly #max: number;
  readonly #entries = new Map<string, Decoded<TopicName>>();
  hits = 0;
  misses = 0;

  constructor(maxEntries: number) {
    this.#max = Math.max(0, maxEntries);
  }

  decode<N extends TopicName>(topic: N, r: FetchedRecord): Decoded<N> {
    if (this.#max === 0) return decodeRecord(topic, r);
    const key = `${topic}\u0000${r.partition}\u0000${r.offset}`;
    const found = this.#entries.get(key);
    if (found !== undefined) {
      this.hits++;
      return found as Decoded<N>;
    }
    this.misses++;
    const decoded = decodeRecord(topic, r);
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, decoded as Decoded<TopicName>);
    return decoded;
  }
}
