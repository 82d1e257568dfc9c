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
 * collector. Here an encoder starts empty and grows into buffers cut from a shared slab, not
 * zero-filled, doubling from 64 bytes. Not zero-filling is safe: every write
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
  // An encoder starts on a shared empty buffer, not a new one: the class as required by the
  // protocol modules loaded from now on (kafkajs requires a request version's module on its first
  // use, after the bus applied this) constructs without allocating; modules loaded before keep
  // the original constructor, whose buffers grow the same way below.
  const cached = require.cache[require.resolve('kafkajs/src/protocol/encoder.js')];
  if (cached?.exports === Encoder) {
    const empty = Buffer.alloc(0);
    const Pooled = function Encoder(this: EncoderInternals) {
      this.buf = empty;
      this.offset = 0;
    } as unknown as EncoderClass;
    Pooled.prototype = Encoder.prototype;
    Object.setPrototypeOf(Pooled, Encoder); // statics (sizeOfVarInt...)
    cached.exports = Pooled;
  }
  Encoder.prototype.ensureAvailable = function ensureAvailable(this: EncoderInternals, length: number): void {
    const needed = this.offset + length;
    if (needed <= this.buf.length) return;
    let size = Math.max(64, this.buf.length);
    while (size < needed) size *= 2;
    const grown = slab(size);
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };
  fixed.encoderBuffers = true;
}

/**
 * Encoder buffers are cut from 64-KiB slabs (Node's own pool is 8 KiB: a new slab every few
 * requests); a slab is freed once no buffer cut from it is referenced (requests are encoded,
 * written to the socket and dropped). Larger buffers get memory of their own.
 */
const SLAB = 64 * 1024;
let current = Buffer.allocUnsafeSlow(0);
let used = 0;
function slab(size: number): Buffer {
  if (size > SLAB / 8) return Buffer.allocUnsafeSlow(size);
  if (used + size > current.length) {
    current = Buffer.allocUnsafeSlow(SLAB);
    used = 0;
  }
  const b = current.subarray(used, used + size);
  used += (size + 7) & ~7;
  return b;
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

// Applied when this module is loaded (kafka-bus.ts imports it before kafkajs), so that kafkajs'
// own modules load with the encoder fix in place; createKafkaBus applies them again (a no-op).
applyKafkajsFixes();
