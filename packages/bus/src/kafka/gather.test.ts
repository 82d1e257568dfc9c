import { describe, expect, it } from 'vitest';
import { Gatherer } from './gather';

interface Call {
  topic: string;
  items: readonly number[];
}

function recorder(outcome: (c: Call) => string = () => 'ok') {
  const calls: Call[] = [];
  const release: (() => void)[] = [];
  let hold = false;
  const g = new Gatherer<number, string>(5, async (topic, items) => {
    calls.push({ topic, items });
    if (hold) await new Promise<void>((r) => release.push(r));
    return outcome({ topic, items });
  });
  return { g, calls, release, setHold: (h: boolean) => (hold = h) };
}

describe('Gatherer', () => {
  it('merges pieces of one topic handed in together into one call, in arrival order', async () => {
    const { g, calls } = recorder();
    const out = await Promise.all([g.submit('a', [1, 2]), g.submit('a', [3]), g.submit('a', [4, 5])]);
    expect(out).toEqual(['ok', 'ok', 'ok']);
    expect(calls).toEqual([{ topic: 'a', items: [1, 2, 3, 4, 5] }]);
  });

  it('never passes more than maxBatch items, never mixes topics in one call, and keeps the order of a topic', async () => {
    const { g, calls } = recorder();
    await Promise.all([g.submit('a', [1, 2, 3]), g.submit('b', [10]), g.submit('a', [4, 5, 6]), g.submit('a', [7])]);
    // [7] would fit beside [1, 2, 3], but it must not overtake [4, 5, 6] (the same partition, maybe)
    expect(calls).toEqual([
      { topic: 'a', items: [1, 2, 3] },
      { topic: 'b', items: [10] },
      { topic: 'a', items: [4, 5, 6, 7] },
    ]);
  });

  it('drops, unhandled, a piece no longer wanted when its call would start, resolving it with the stale outcome', async () => {
    const calls: (readonly number[])[] = [];
    const release: (() => void)[] = [];
    const g = new Gatherer<number, string>(
      5,
      async (_topic, items) => {
        calls.push(items);
        if (items.includes(1)) await new Promise<void>((r) => release.push(r));
        return 'ok';
      },
      'stale',
    );
    let wanted = true;
    const first = g.submit('a', [1]);
    await new Promise((r) => setImmediate(r));
    const dropped = g.submit('a', [2], () => wanted);
    const kept = g.submit('a', [3], () => true);
    wanted = false;
    release.shift()?.();
    expect(await Promise.all([first, dropped, kept])).toEqual(['ok', 'stale', 'ok']);
    expect(calls).toEqual([[1], [3]]);
  });

  it('runs one call at a time and gathers what arrives meanwhile into the next call', async () => {
    const { g, calls, release, setHold } = recorder();
    setHold(true);
    const first = g.submit('a', [1]);
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(1);
    const later = [g.submit('a', [2]), g.submit('a', [3])];
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(1);
    setHold(false);
    release.shift()?.();
    await Promise.all([first, ...later]);
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3]]);
  });

  it('gives every piece of a call that call outcome', async () => {
    const { g } = recorder((c) => (c.items.includes(2) ? 'retry' : 'ok'));
    const out = await Promise.all([g.submit('a', [1]), g.submit('a', [2])]);
    expect(out).toEqual(['retry', 'retry']);
    expect(await g.submit('a', [3])).toBe('ok');
  });

  it('idle resolves once queued pieces have been handled', async () => {
    const { g, calls } = recorder();
    void g.submit('a', [1]);
    await g.idle();
    expect(calls).toHaveLength(1);
    await g.idle();
  });
});
