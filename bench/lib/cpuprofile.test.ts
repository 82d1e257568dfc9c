import { describe, expect, it } from 'vitest';
import { areaOf, summariseProfile, type CpuProfile } from './cpuprofile';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

describe('CPU profile summary', () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)') },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('decode', 'file:///repo/packages/bus/src/embedded/consumer.ts', 93) },
      { id: 4, callFrame: frame('parse', 'file:///repo/node_modules/zod/v4/core/schemas.js', 10) },
      { id: 5, callFrame: frame('(garbage collector)') },
    ],
    startTime: 0,
    endTime: 10_000,
    // one sample per ms: idle 4, decode 3, zod 2, gc 1 (the last sample gets no time after it)
    samples: [2, 2, 2, 2, 3, 3, 3, 4, 4, 5, 1],
    timeDeltas: [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
  };

  it('attributes the time after each sample to its function and leaves idle out of the shares', () => {
    const s = summariseProfile(profile);
    expect(s.totalMs).toBeCloseTo(10);
    expect(s.busyMs).toBeCloseTo(6);
    expect(s.functions.map((f) => [f.name, Math.round(f.ms)])).toEqual([
      ['decode (packages/bus/src/embedded/consumer.ts:94)', 3],
      ['parse (zod/v4/core/schemas.js:11)', 2],
      ['(garbage collector)', 1],
    ]);
    expect(s.functions[0]!.share).toBeCloseTo(0.5);
  });

  it('names native code after its caller and charges it to the nearest package on the stack', () => {
    const p: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2] },
        { id: 2, callFrame: frame('writeRows', 'file:///repo/packages/store/src/duckdb/duckdb-store.ts'), children: [3] },
        { id: 3, callFrame: frame('flushSync', 'file:///repo/node_modules/@duckdb/node-api/lib/DuckDBAppender.js', 21), children: [4] },
        { id: 4, callFrame: frame('') },
        { id: 5, callFrame: frame('ingest', 'file:///repo/services/gateway/src/build.ts'), children: [6] },
        { id: 6, callFrame: frame('writevGeneric', 'node:internal/stream_base_commons', 121), children: [7] },
        { id: 7, callFrame: frame('writev') },
      ],
      startTime: 0,
      endTime: 3000,
      samples: [4, 7, 7, 1],
      timeDeltas: [0, 1000, 1000, 1000],
    };
    const s = summariseProfile(p);
    expect(s.functions.map((f) => [f.name, f.area])).toEqual([
      ['writev <- writevGeneric (node:internal/stream_base_commons:122)', 'services/gateway'],
      ['(native) <- flushSync (@duckdb/node-api/lib/DuckDBAppender.js:22)', '@duckdb/node-api'],
    ]);
  });

  it('groups self time by package or repo area', () => {
    const s = summariseProfile(profile);
    expect(s.areas.map((a) => a.name)).toEqual(['packages/bus', 'zod', '(garbage collector)']);
    expect(areaOf('node:internal/fs/promises', 'write')).toBe('node:internal');
    expect(areaOf('file:///x/node_modules/@duckdb/node-api/lib/DuckDBAppender.js', 'flushSync')).toBe('@duckdb/node-api');
    expect(areaOf('', 'writev')).toBe('(native)');
  });

  it("names a worker thread's module without the query tsx adds to its URL", () => {
    const p: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2] },
        { id: 2, callFrame: frame('publish', 'file:///repo/packages/bus/src/remote/client.ts?tsx-namespace=4a58709c-45fb', 99) },
      ],
      startTime: 0,
      endTime: 2_000,
      samples: [2, 1],
      timeDeltas: [0, 1000],
    };
    expect(summariseProfile(p).functions[0]!.name).toBe('publish (packages/bus/src/remote/client.ts:100)');
  });
});
