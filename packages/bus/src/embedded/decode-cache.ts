import type { Delivery } from '../bus';

/** A record's decoding: the delivery every group is handed, or why it is rejected. */
export type DecodeResult = { readonly delivery: Delivery<unknown> } | { readonly reason: string; readonly value: unknown };

/**
 * Decoded records of one topic by offset, shared by the groups that consume it so that a record is
 * parsed and schema-checked once, not once per group. Bounded: the oldest insertions go first.
 * The decoded values are shared, which is why handlers must not mutate what they are handed.
 */
export class DecodeCache {
  private readonly entries = new Map<number, DecodeResult>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(offset: number): DecodeResult | undefined {
    return this.entries.get(offset);
  }

  set(offset: number, result: DecodeResult): void {
    if (this.capacity <= 0) return;
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(offset, result);
  }

  /** Forgets `offset` (its last reader has it). */
  delete(offset: number): void {
    this.entries.delete(offset);
  }
}
