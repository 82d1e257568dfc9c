import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWriteGroups } from './groups';

/** A flush that records its groups and settles when told to. */
function recorder() {
  const groups: { items: string[]; rows: number }[] = [];
  const pending: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  const flush = (items: string[], rows: number) =>
    new Promise<void>((resolve, reject) => {
      groups.push({ items, rows });
      pending.push({ resolve, reject });
    });
  return { groups, pending, flush };
}

function state(p: Promise<void>): () => string {
  let s = 'pending';
  p.then(
    () => (s = 'resolved'),
    () => (s = 'rejected'),
  );
  return () => s;
}

describe('write groups', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('puts the calls of one linger into one flush, in call order, and resolves them with it', async () => {
    vi.useFakeTimers();
    const r = recorder();
    const g = createWriteGroups<string>({ lingerMs: 200, maxRows: 100 }, r.flush);
    const a = state(g.add(['a1', 'a2'], 10));
    const b = state(g.add(['b1'], 5));
    expect(r.groups).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(r.groups).toEqual([{ items: ['a1', 'a2', 'b1'], rows: 15 }]);
    expect([a(), b()]).toEqual(['pending', 'pending']);
    r.pending[0]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect([a(), b()]).toEqual(['resolved', 'resolved']);

    // The next call opens a new group.
    const c = state(g.add(['c1'], 1));
    await vi.advanceTimersByTimeAsync(200);
    expect(r.groups.map((x) => x.items)).toEqual([['a1', 'a2', 'b1'], ['c1']]);
    r.pending[1]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(c()).toBe('resolved');
  });

  it('closes a group as soon as it holds maxRows rows, and before a call that would overflow it', () => {
    const r = recorder();
    const g = createWriteGroups<string>({ lingerMs: 60_000, maxRows: 10 }, r.flush);
    void g.add(['a'], 4);
    void g.add(['b'], 6);
    expect(r.groups).toEqual([{ items: ['a', 'b'], rows: 10 }]);
    void g.add(['c'], 7);
    void g.add(['d'], 7); // 14 > 10: 'c' goes alone, 'd' starts the next group
    expect(r.groups.map((x) => x.items)).toEqual([['a', 'b'], ['c']]);
    void g.add(['big'], 50); // larger than maxRows: a group of its own, at once
    expect(r.groups.map((x) => x.items)).toEqual([['a', 'b'], ['c'], ['d'], ['big']]);
    for (const p of r.pending) p.resolve();
  });

  it('flushes every call alone with a linger of 0', () => {
    const r = recorder();
    const g = createWriteGroups<string>({ lingerMs: 0, maxRows: 10 }, r.flush);
    void g.add(['a'], 1);
    void g.add(['b'], 1);
    expect(r.groups.map((x) => x.items)).toEqual([['a'], ['b']]);
    for (const p of r.pending) p.resolve();
  });

  it('rejects every call of a failed group, and only those', async () => {
    const r = recorder();
    const g = createWriteGroups<string>({ lingerMs: 60_000, maxRows: 2 }, r.flush);
    const a = g.add(['a'], 1);
    const b = g.add(['b'], 1);
    const c = g.add(['c'], 2);
    const boom = new Error('disk gone');
    r.pending[0]?.reject(boom);
    r.pending[1]?.resolve();
    await expect(a).rejects.toBe(boom);
    await expect(b).rejects.toBe(boom);
    await expect(c).resolves.toBeUndefined();
  });

  it('drain flushes the open group at once and waits for every group', async () => {
    const r = recorder();
    const g = createWriteGroups<string>({ lingerMs: 60_000, maxRows: 100 }, r.flush);
    const a = state(g.add(['a'], 1));
    const drained = state(g.drain());
    expect(r.groups.map((x) => x.items)).toEqual([['a']]);
    await Promise.resolve();
    expect(drained()).toBe('pending');
    r.pending[0]?.resolve();
    await g.drain();
    expect([a(), drained()]).toEqual(['resolved', 'resolved']);
  });
});
