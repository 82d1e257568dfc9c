import { createRequire } from 'node:module';

/**
 * Fixes to kafkajs 2.2.4 (its last release) applied at run time, on the prototypes of the module
 * instance the bus loads, so they hold whatever loaded kafkajs first.
 *
 * **The request queue's 1-ms timer loop** (kafkajs issues #1556, #1604, #1704; PRs #1667, #1768,
 * unmerged): once a connection's request queue has had a response, `scheduleCheckPendingRequests`
 * re-arms a `setTimeout` of `throttledUntil - now` (negative when not throttled: 1 ms) after
 * every check, pending requests or not. Every connection of every consumer, state reader,
 * producer and admin client (dozens in one process here) then wakes the event loop a thousand
 * times a second for nothing. Fixed as proposed upstream: with nothing pending, nothing is
 * scheduled. A request that cannot go out at once (in-flight limit, broker throttling) is put in
 * `pending` by `push`, which schedules the check again; a response (`fulfillRequest`) and a
 * request timeout check the queue as before.
 *
 * **The protocol encoder's buffers**: kafkajs builds every request from nested `Encoder`s (one
 * per topic, partition, record batch and record of a produce or fetch request, each then copied
 * into its parent), and each starts with `Buffer.alloc(512)`: a zero-filled buffer with a memory
 * block of its own, about 5 % of the main thread's busy time in Kafka mode and garbage for the
 * collector. Here an encoder starts empty and grows with `Buffer.allocUnsafe` (small buffers are
 * slices of Node's shared pool), doubling from 64 bytes. Not zero-filling is safe: every write
 * goes at `offset`, which only grows, and `buffer` returns the bytes before it only.
 */
export function applyKafkajsFixes(): void {
  if (applied) return;
  applied = true;
  const require = createRequire(import.meta.url);
  // Only the version whose code this was read against (kafkajs is unmaintained; an upgrade or
  // a fork is checked again before this applies).
  if ((require('kafkajs/package.json') as { version: string }).version !== '2.2.4') return;
  fixRequestQueue(require);
  fixEncoder(require);
}

function fixRequestQueue(require: NodeJS.Require): void {
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueueInternals };
  const proto = RequestQueue.prototype;
  const original = proto.scheduleCheckPendingRequests;
  if (typeof original !== 'function' || !/throttledUntil - Date\.now\(\)/.test(original.toString())) return;
  proto.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
    if (this.pending.length === 0) return;
    original.call(this);
  };
  fixed.requestQueueTimerLoop = true;
}

function fixEncoder(require: NodeJS.Require): void {
  const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
  const source = Encoder.toString();
  // the constructor and ensureAvailable are the only users of nextPowerOfTwo
  if (source.match(/nextPowerOfTwo\(/g)?.length !== 3 || !source.includes('this.buf = Buffer.alloc(Encoder.nextPowerOfTwo(initialSize))')) return;
  Encoder.nextPowerOfTwo = () => 0; // the constructor's Buffer.alloc: an empty buffer, no memory of its own
  Encoder.prototype.ensureAvailable = function ensureAvailable(this: EncoderInternals, length: number): void {
    const needed = this.offset + length;
    if (needed <= this.buf.length) return;
    let size = Math.max(64, this.buf.length);
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };
  fixed.encoderBuffers = true;
}

let applied = false;

/** Which fixes applied (false: the kafkajs found is not the one they were written for). */
export const fixed = { requestQueueTimerLoop: false, encoderBuffers: false };

/** The parts of kafkajs' (untyped, internal) RequestQueue the fix touches. */
export interface RequestQueueInternals {
  pending: unknown[];
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  scheduleCheckPendingRequests(): void;
}

/** The parts of kafkajs' (internal) Encoder the fix touches. */
export interface EncoderInternals {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
  ensureAvailable(length: number): void;
}

interface EncoderClass {
  new (initialSize?: number): EncoderInternals;
  prototype: EncoderInternals;
  nextPowerOfTwo(value: number): number;
  toString(): string;
}
