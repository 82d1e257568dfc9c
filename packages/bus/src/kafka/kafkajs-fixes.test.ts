import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyKafkajsFixes, fixed } from './kafkajs-fixes';
import type { EncoderInternals, RequestQueueInternals } from './kafkajs-fixes';

const require = createRequire(import.meta.url);
applyKafkajsFixes();

interface Queue extends RequestQueueInternals {
  throttledUntil: number;
  inflight: Map<number, unknown>;
  push(r: { entry: { correlationId: number; apiName: string; apiKey: number; apiVersion: number; resolve(): void; reject(): void }; expectResponse: boolean; sendRequest(): void }): void;
  fulfillRequest(r: { correlationId: number; payload: Buffer; size: number }): void;
  destroy(): void;
}
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (o: object) => Queue;
interface Writer extends EncoderInternals {
  writeInt32(v: number): Writer;
  writeString(v: string): Writer;
  writeBytes(v: Buffer): Writer;
  writeEncoder(v: EncoderInternals): Writer;
}
const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => Writer;

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const queues: Queue[] = [];
function queue(): Queue {
  const q = new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 't', broker: 'b', logger: quiet });
  queues.push(q);
  return q;
}
const request = (correlationId: number, sent: number[]) => ({
  entry: { correlationId, apiName: 'Fetch', apiKey: 1, apiVersion: 11, resolve() {}, reject() {} },
  expectResponse: true,
  sendRequest: () => sent.push(correlationId),
});

afterEach(() => {
  for (const q of queues.splice(0)) q.destroy();
});

describe('kafkajs fixes', () => {
  it('apply to the kafkajs installed (2.2.4)', () => {
    expect(fixed).toEqual({ requestQueueTimerLoop: true, encoderBuffers: true });
  });

  it('a request queue with nothing pending schedules no check (no 1-ms timer loop)', () => {
    const q = queue();
    const sent: number[] = [];
    q.push(request(1, sent));
    q.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect(sent).toEqual([1]);
    expect(q.pending).toEqual([]);
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('a request held back by the in-flight limit goes out when the one in flight is answered', () => {
    const q = queue();
    const sent: number[] = [];
    q.push(request(1, sent));
    q.push(request(2, sent));
    expect(sent).toEqual([1]);
    q.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect(sent).toEqual([1, 2]);
  });

  it('a request held back by broker throttling goes out once the throttle ends', async () => {
    const q = queue();
    const sent: number[] = [];
    q.throttledUntil = Date.now() + 20;
    q.push(request(1, sent));
    expect(sent).toEqual([]);
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    await vi.waitFor(() => expect(sent).toEqual([1]), { timeout: 5_000, interval: 5 });
  });

  it('encoders grow from an empty buffer and return exactly the bytes written', () => {
    // dirty the shared pool the encoders take their buffers from
    for (let i = 0; i < 64; i++) Buffer.allocUnsafe(100).fill(0xee);
    const big = Buffer.alloc(3_000, 7);
    const inner = new Encoder().writeInt32(-1).writeString('é');
    const e = new Encoder().writeInt32(42).writeString('abc').writeBytes(big).writeEncoder(inner);
    const expected = Buffer.concat([
      Buffer.from([0, 0, 0, 42]),
      Buffer.from([0, 3]),
      Buffer.from('abc'),
      Buffer.from([0, 0, 0x0b, 0xb8]),
      big,
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 2]),
      Buffer.from('é'),
    ]);
    expect(e.buffer.equals(expected)).toBe(true);
    expect(new Encoder().buffer.length).toBe(0);
    // the class the protocol modules load now: no zero-filled 512-byte block per encoder
    expect(new Encoder().buf.byteLength).toBe(0);
  });
});
