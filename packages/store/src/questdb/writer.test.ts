import { describe, expect, it } from 'vitest';
import { GanzhiError } from '@ganzhi/schemas';
import { BatchWriter, type BatchWriterDeps, type Clock, type FailureKind } from './writer';

/** A manual clock: timers fire only when the test advances time. */
class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  /** Moves time forward, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle(); // let work already started (a failing send) register its timers first
    for (let guard = 0; guard < 10_000; guard++) {
      const next = [...this.timers.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

type Outcome = 'ok' | 'retry' | 'reject' | 'hang';

/** The writer's send port, scripted: each call takes the next outcome (default ok). */
function scriptedSend(clock: FakeClock, script: Outcome[] = [], poison?: string) {
  const calls: Array<{ at: number; rows: string[] }> = [];
  const hung: Array<() => void> = [];
  const send = async (rows: readonly string[]): Promise<void> => {
    calls.push({ at: clock.now(), rows: [...rows] });
    const outcome = script.shift() ?? 'ok';
    if (poison !== undefined && rows.includes(poison)) throw Object.assign(new Error('HTTP request failed, statusCode=400'), { poison: true });
    if (outcome === 'retry') throw new Error('connect ECONNREFUSED 127.0.0.1:9000');
    if (outcome === 'reject') throw new Error('HTTP request failed, statusCode=400');
    if (outcome === 'hang') await new Promise<void>((resolve) => hung.push(resolve));
  };
  const classify = (err: unknown): FailureKind => (String((err as Error).message).includes('statusCode=400') ? 'reject' : 'retry');
  return { calls, hung, send, classify };
}

function writer(clock: FakeClock, s: ReturnType<typeof scriptedSend>, over: Partial<BatchWriterDeps<string>> = {}) {
  return new BatchWriter<string>({
    send: s.send,
    classify: s.classify,
    flush: { autoFlushRows: 5, flushIntervalMs: 500, maxPendingRows: 10 },
    retry: { initialMs: 100, maxMs: 1000 },
    clock,
    ...over,
  });
}

/** Tracks a promise's outcome without awaiting it. */
function track(p: Promise<void>) {
  const state: { done: boolean; error: unknown } = { done: false, error: undefined };
  p.then(
    () => (state.done = true),
    (err: unknown) => {
      state.done = true;
      state.error = err;
    },
  );
  return state;
}

describe('batch writer', () => {
  it('flushes a quiet stream on its own timer and resolves the write only after the flush', async () => {
    const clock = new FakeClock();
    const s = scriptedSend(clock);
    const w = writer(clock, s);
    const a = track(w.write(['r1', 'r2']));
    await clock.advance(499);
    expect(s.calls).toEqual([]);
    expect(a.done).toBe(false);
    await clock.advance(1);
    expect(s.calls).toEqual([{ at: 500, rows: ['r1', 'r2'] }]);
    expect(a).toEqual({ done: true, error: undefined });
  });

  it('flushes at once when the pending rows reach autoFlushRows, combining whole writes', async () => {
    const clock = new FakeClock();
    const s = scriptedSend(clock);
    const w = writer(clock, s);
    const a = track(w.write(['a1', 'a2', 'a3']));
    const b = track(w.write(['b1', 'b2', 'b3']));
    await settle();
    expect(s.calls).toEqual([{ at: 0, rows: ['a1', 'a2', 'a3', 'b1', 'b2', 'b3'] }]);
    expect(a.done && b.done).toBe(true);
    expect(w.stats()).toMatchObject({ pendingRows: 0, flushes: 1, rowsFlushed: 6 });
  });

  it('keeps a failed batch, retries it on the backoff schedule and resolves once it lands, losing nothing', async () => {
    const clock = new FakeClock();
    const s = scriptedSend(clock, ['retry', 'retry', 'retry', 'ok']);
    const failures: number[] = [];
    const w = writer(clock, s, { onFailure: (_e, info) => failures.push(info.retryInMs ?? -1) });
    const a = track(w.write(['r1', 'r2', 'r3', 'r4', 'r5']));
    await clock.advance(699);
    expect(a.done).toBe(false);
    expect(s.calls.map((c) => c.at)).toEqual([0, 100, 300]);
    await clock.advance(1);
    expect(s.calls.map((c) => c.at)).toEqual([0, 100, 300, 700]);
    expect(s.calls.every((c) => c.rows.join() === 'r1,r2,r3,r4,r5')).toBe(true);
    expect(failures).toEqual([100, 200, 400]);
    expect(a).toEqual({ done: true, error: undefined });
    expect(w.stats()).toMatchObject({ pendingRows: 0, failedAttempts: 3, rowsFlushed: 5 });
  });

  it('holds writers back while maxPendingRows are queued and lets them in as flushes free space', async () => {
    const clock = new FakeClock();
    const s = scriptedSend(clock, ['hang']);
    const w = writer(clock, s, { flush: { autoFlushRows: 6, flushIntervalMs: 500, maxPendingRows: 10 } });
    const a = track(w.write(['a1', 'a2', 'a3', 'a4', 'a5', 'a6'])); // reaches autoFlushRows: flush starts and hangs
    await settle();
    const b = track(w.write(['b1', 'b2', 'b3', 'b4'])); // 6 + 4 = 10 fits
    const c = track(w.write(['c1', 'c2'])); // 12 > 10: waits
    await clock.advance(2000);
    expect(w.stats().pendingRows).toBe(10);
    expect([a.done, b.done, c.done]).toEqual([false, false, false]);
    s.hung.shift()?.();
    await settle();
    expect(a.done).toBe(true);
    // c got in once a's rows left the queue; b + c reached the threshold and went out together
    expect(s.calls.map((x) => x.rows.join())).toEqual(['a1,a2,a3,a4,a5,a6', 'b1,b2,b3,b4,c1,c2']);
    expect([b.done, c.done]).toEqual([true, true]);
    expect(w.stats().pendingRows).toBe(0);
  });

  it('rejects only the write the server refuses, retrying a refused batch one write at a time', async () => {
    const clock = new FakeClock();
    const s = scriptedSend(clock, [], 'bad');
    const w = writer(clock, s);
    const ok1 = track(w.write(['ok1']));
    const bad = track(w.write(['bad']));
    const ok2 = track(w.write(['ok2']));
    await clock.advance(500);
    expect(s.calls.map((c) => c.rows.join())).toEqual(['ok1,bad,ok2', 'ok1', 'bad', 'ok2']);
    expect(ok1).toEqual({ done: true, error: undefined });
    expect(ok2).toEqual({ done: true, error: undefined });
    expect(bad.error).toMatchObject({ code: 'GANZHI_ERR_STORE_QUERY', retryable: false });
    expect(w.stats().rejectedRows).toBe(1);
  });

  it('gives up after maxAttempts with a retryable error, so the caller leaves its input unacknowledged', async () => {
    const clock = new FakeClock();
    const s = scriptedSend(clock, ['retry', 'retry', 'retry']);
    const w = writer(clock, s, { retry: { initialMs: 100, maxMs: 1000, maxAttempts: 2 } });
    const a = track(w.write(['r1']));
    await clock.advance(10_000);
    expect(s.calls).toHaveLength(2);
    expect(a.error).toMatchObject({ code: 'GANZHI_ERR_STORE_UNAVAILABLE', retryable: true });
    expect(w.stats().pendingRows).toBe(0);
  });

  it('flushes what is queued on close (once, however often close is called), then refuses new writes', async () => {
    const clock = new FakeClock();
    const s = scriptedSend(clock);
    const w = writer(clock, s);
    const a = track(w.write(['r1']));
    await Promise.all([w.close(), w.close()]);
    expect(s.calls).toEqual([{ at: 0, rows: ['r1'] }]);
    expect(a).toEqual({ done: true, error: undefined });
    await expect(w.write(['r2'])).rejects.toMatchObject({ code: 'GANZHI_ERR_STORE_UNAVAILABLE' });
  });

  it('on close during an outage tries once more, then rejects the queued writes with a retryable error', async () => {
    const clock = new FakeClock();
    const s = scriptedSend(clock, ['retry', 'retry']);
    const w = writer(clock, s, { flush: { autoFlushRows: 1, flushIntervalMs: 500, maxPendingRows: 10 } });
    const a = track(w.write(['r1']));
    await settle();
    expect(s.calls).toHaveLength(1);
    await w.close();
    await settle();
    expect(s.calls).toHaveLength(2);
    expect(a.error).toMatchObject({ code: 'GANZHI_ERR_STORE_UNAVAILABLE', retryable: true });
  });

  it('keeps retrying when the failure hook throws', async () => {
    const clock = new FakeClock();
    const s = scriptedSend(clock, ['retry', 'ok']);
    const w = writer(clock, s, {
      flush: { autoFlushRows: 1, flushIntervalMs: 0, maxPendingRows: 10 },
      onFailure: () => {
        throw new GanzhiError('GANZHI_ERR_STORE_QUERY', 'hook');
      },
    });
    const a = track(w.write(['r1']));
    await clock.advance(1000);
    expect(s.calls).toHaveLength(2);
    expect(a).toEqual({ done: true, error: undefined });
  });
});
