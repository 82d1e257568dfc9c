import { describe, expect, it } from 'vitest';
import { resolveOptions } from './options';

describe('resolveOptions', () => {
  it("lingers 10 ms by default (Kafka's linger.ms is 5) and lets the state readers wait 4x the consumers' empty-fetch wait", () => {
    const o = resolveOptions({ brokers: ['127.0.0.1:9092'] });
    expect(o.limits.lingerMs).toBe(10);
    expect(o.maxWaitMs).toBe(500);
    expect(o.stateMaxWaitMs).toBe(2_000);
    expect(resolveOptions({ brokers: ['b:9092'], consumer: { maxWaitMs: 100 } }).stateMaxWaitMs).toBe(400);
  });

  it('takes a state readers wait and a linger of its own, and refuses negative ones naming the field', () => {
    const o = resolveOptions({ brokers: ['b:9092'], batch: { lingerMs: 0 }, consumer: { maxWaitMs: 100, stateMaxWaitMs: 5_000 } });
    expect(o.limits.lingerMs).toBe(0);
    expect(o.stateMaxWaitMs).toBe(5_000);
    expect(() => resolveOptions({ brokers: ['b:9092'], consumer: { stateMaxWaitMs: -1 } })).toThrow(/consumer\.stateMaxWaitMs/);
    expect(() => resolveOptions({ brokers: ['b:9092'], batch: { lingerMs: -1 } })).toThrow(/batch\.lingerMs/);
  });
});
