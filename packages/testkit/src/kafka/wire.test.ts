import { describe, expect, it } from 'vitest';
import { FrameReader, Reader, Writer, frame, rewriteApiVersions, rewriteFindCoordinator, rewriteMetadata } from './wire';

const map = (host: string, port: number) => ({ host: '127.0.0.1', port: port + 1000 });

describe('Kafka wire helpers of the test proxy', () => {
  it('splits a byte stream into frames whatever the chunk boundaries', () => {
    const bytes = Buffer.concat([frame(Buffer.from('first')), frame(Buffer.from('second frame'))]);
    const reader = new FrameReader();
    const frames = [...bytes].flatMap((b) => reader.push(Buffer.from([b])));
    expect(frames.map((f) => f.toString())).toEqual(['first', 'second frame']);
  });

  it('rewrites every broker address of a Metadata v5 answer and leaves the rest byte for byte', () => {
    const rest = Buffer.from([9, 8, 7, 6, 5]);
    const body = new Writer()
      .int32(0) // throttle
      .int32(2)
      .int32(1).nullableString('kafka-1.internal').int32(9092).nullableString(null)
      .int32(2).nullableString('kafka-2.internal').int32(9093).nullableString('rack-b')
      .raw(rest)
      .build();
    const out = new Reader(rewriteMetadata(body, 5, map));
    expect(out.int32()).toBe(0);
    expect(out.int32()).toBe(2);
    expect([out.int32(), out.string(), out.int32(), out.nullableString()]).toEqual([1, '127.0.0.1', 10092, null]);
    expect([out.int32(), out.string(), out.int32(), out.nullableString()]).toEqual([2, '127.0.0.1', 10093, 'rack-b']);
    expect(out.rest()).toEqual(rest);
  });

  it('rewrites the coordinator of a FindCoordinator v2 answer, but not an error answer', () => {
    const answer = (error: number) => new Writer().int32(0).int16(error).nullableString(null).int32(3).nullableString('kafka-3').int32(9094).build();
    const ok = new Reader(rewriteFindCoordinator(answer(0), 2, map));
    expect([ok.int32(), ok.int16(), ok.nullableString(), ok.int32(), ok.string(), ok.int32()]).toEqual([0, 0, null, 3, '127.0.0.1', 10094]);
    const failed = new Reader(rewriteFindCoordinator(answer(15), 2, map));
    expect([failed.int32(), failed.int16(), failed.nullableString(), failed.int32(), failed.string(), failed.int32()]).toEqual([0, 15, null, 3, 'kafka-3', 9094]);
  });

  it('refuses versions it cannot rewrite (flexible ones)', () => {
    expect(() => rewriteMetadata(Buffer.alloc(8), 9, map)).toThrow(/Metadata v9/);
  });

  it('edits the API list of ApiVersions answers, classic (v2) and flexible (v3)', () => {
    const classic = new Writer().int16(0).int32(2).int16(3).int16(0).int16(12).int16(10).int16(0).int16(4).int32(0).build();
    const edit = (apis: { key: number; min: number; max: number }[]) => [...apis.map((a) => ({ ...a, max: Math.min(a.max, 2) })), { key: 17, min: 1, max: 1 }];
    const c = new Reader(rewriteApiVersions(classic, 2, edit));
    expect(c.int16()).toBe(0);
    expect(c.int32()).toBe(3);
    expect([c.int16(), c.int16(), c.int16(), c.int16(), c.int16(), c.int16(), c.int16(), c.int16(), c.int16()]).toEqual([3, 0, 2, 10, 0, 2, 17, 1, 1]);
    expect(c.int32()).toBe(0);
    const flexible = new Writer().int16(0).uvarint(2).int16(3).int16(0).int16(12).uvarint(0).int32(0).uvarint(0).build();
    const f = new Reader(rewriteApiVersions(flexible, 3, edit));
    expect(f.int16()).toBe(0);
    expect(f.uvarint()).toBe(3);
    expect([f.int16(), f.int16(), f.int16()]).toEqual([3, 0, 2]);
  });
});
