import { afterEach, describe, expect, it, vi } from 'vitest';
import { Batcher } from './batcher';
import type { BatcherLimits, OutRecord } from './batcher';

/** A send function whose batches the test acknowledges or fails by hand. */
function manualSend() {
  const batches: { records: readonly OutRecord[]; ack(): void; fail(err: unknown): void }[] = [];
  const send = (records: readonly OutRecord[]) =>
    new Promise<void>((resolve, reject) => batches.push({ records, ack: resolve, fail: reject }));
  return { batches, send };
}

const rec = (i: number, bytes = 10): OutRecord => ({ topic: 't', key: `k${i % 3}`, value: Buffer.alloc(bytes, i % 256) });
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Flushes and acknowledges batch after batch until nothing is pending (at most 20 rounds). */
async function drain(b: Batcher, batches: { ack(): void }[]): Promise<void> {
  for (let i = 0; i < 20 && b.stats().pendingRecords > 0; i++) {
    void b.flush();
    await tick();
    batches[batches.length - 1]?.ack();
    await tick();
  }
}
/** Limits with a linger long enough never to fire during a test, used at any rate: batches leave when full or flushed. */
const limits = (over: Partial<BatcherLimits> = {}): BatcherLimits => ({
  maxRecords: 500,
  maxBytes: 1 << 20,
  lingerMs: 60_000,
  lingerFromRate: 0,
  maxQueuedRecords: 10_000,
  maxQueuedBytes: 1 << 30,
  ...over,
});

describe('Batcher', () => {
  it('sends concurrent calls as one batch and resolves each caller when it is acknowledged', async () => {
    const { batches, send } = manualSend();
    const b = new Batcher(limits(), send);
    let resolved = 0;
    const calls = Array.from({ length: 100 }, (_, i) => b.add([rec(i)]).then(() => void resolved++));
    void b.flush();
    await tick();
    expect(batches).toHaveLength(1);
    expect(batches[0]?.records).toHaveLength(100);
    expect(resolved).toBe(0);
    batches[0]?.ack();
    await Promise.all(calls);
    expect(resolved).toBe(100);
    expect(b.stats()).toMatchObject({ calls: 100, records: 100, batches: 1, pendingRecords: 0 });
  });

  it('cuts batches at maxRecords and keeps the records in call order', async () => {
    const { batches, send } = manualSend();
    const b = new Batcher(limits({ maxRecords: 4 }), send);
    const all = Promise.all(Array.from({ length: 10 }, (_, i) => b.add([rec(i)])));
    await tick();
    expect(batches).toHaveLength(1); // a full batch leaves at once; one batch in flight at a time
    batches[0]?.ack();
    await tick();
    batches[1]?.ack();
    await tick();
    void b.flush();
    await tick();
    batches[2]?.ack();
    await all;
    expect(batches.map((x) => x.records.length)).toEqual([4, 4, 2]);
    const order = batches.flatMap((x) => x.records.map((r) => r.value?.[0]));
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('cuts batches at maxBytes', async () => {
    const { batches, send } = manualSend();
    const b = new Batcher(limits({ maxBytes: 200 }), send);
    const all = Promise.all(Array.from({ length: 4 }, (_, i) => b.add([rec(i, 80)])));
    await drain(b, batches);
    await all;
    expect(batches.length).toBeGreaterThan(1);
    for (const x of batches) expect(x.records.reduce((n, r) => n + (r.value?.length ?? 0), 0)).toBeLessThanOrEqual(200);
  });

  it('while a flush waits, sends the records that arrived during the round trip at the ack, without their linger', async () => {
    const { batches, send } = manualSend();
    const b = new Batcher(limits(), send);
    const first = b.add([rec(0)]);
    void b.flush();
    await tick();
    const later = Promise.all([b.add([rec(1)]), b.add([rec(2)])]);
    await tick();
    expect(batches).toHaveLength(1);
    batches[0]?.ack();
    await first;
    await tick();
    expect(batches).toHaveLength(2);
    expect(batches[1]?.records).toHaveLength(2);
    batches[1]?.ack();
    await later;
  });

  describe('with a fake clock', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('lingers only while records came often enough in the previous second to join it', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'performance', 'Date'] });
      const { batches, send } = manualSend();
      const b = new Batcher({ ...limits({ lingerMs: 10 }), lingerFromRate: undefined }, send); // default: 500 / 10 = 50 records/s
      /** Adds one record and checks that it leaves without waiting (as batch number `n`), then acknowledges it. */
      const leavesAtOnce = async (r: OutRecord, n: number) => {
        const sent = b.add([r]);
        await vi.advanceTimersByTimeAsync(0);
        expect(batches).toHaveLength(n);
        batches[n - 1]?.ack();
        await sent;
      };
      await leavesAtOnce(rec(0), 1); // nobody would join
      // 60 records within one second: the next second lingers
      const busy = b.add(Array.from({ length: 60 }, (_, i) => rec(i)));
      await vi.advanceTimersByTimeAsync(0);
      batches[1]?.ack();
      await busy;
      await vi.advanceTimersByTimeAsync(1_000);
      const lingering = b.add([rec(1)]);
      await vi.advanceTimersByTimeAsync(9);
      expect(batches).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(1);
      expect(batches).toHaveLength(3);
      batches[2]?.ack();
      await lingering;
      // a quiet second after that: no linger again
      await vi.advanceTimersByTimeAsync(2_500);
      await leavesAtOnce(rec(2), 4);
    });

    it('sends records that lingered through the round trip at the ack, and later ones once their own linger is over', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'performance'] });
      const { batches, send } = manualSend();
      const b = new Batcher(limits({ lingerMs: 10 }), send);
      const first = b.add([rec(0)]);
      await vi.advanceTimersByTimeAsync(10);
      expect(batches).toHaveLength(1);
      const during = b.add([rec(1)]);
      await vi.advanceTimersByTimeAsync(12); // longer than the linger, still in flight
      expect(batches).toHaveLength(1);
      batches[0]?.ack();
      await first;
      await vi.advanceTimersByTimeAsync(0);
      expect(batches).toHaveLength(2); // it had lingered: it leaves at the ack
      const next = b.add([rec(2)]);
      batches[1]?.ack();
      await during;
      await vi.advanceTimersByTimeAsync(5);
      expect(batches).toHaveLength(2); // the new record lingers
      await vi.advanceTimersByTimeAsync(5);
      expect(batches).toHaveLength(3);
      batches[2]?.ack();
      await next;
    });
  });

  it('rejects every caller of a failed batch with its error, and later batches still go out', async () => {
    const { batches, send } = manualSend();
    const b = new Batcher(limits(), send);
    const failing = [b.add([rec(0)]), b.add([rec(1), rec(2)])];
    void b.flush();
    await tick();
    const boom = new Error('boom');
    batches[0]?.fail(boom);
    for (const p of failing) await expect(p).rejects.toBe(boom);
    const ok = b.add([rec(3)]);
    void b.flush();
    await tick();
    batches[1]?.ack();
    await ok;
    expect(b.stats()).toMatchObject({ batches: 2, failedBatches: 1, pendingRecords: 0 });
  });

  it('makes a caller wait while the queue is full and admits it once earlier records are acknowledged', async () => {
    const { batches, send } = manualSend();
    const b = new Batcher(limits({ maxRecords: 2, maxQueuedRecords: 4 }), send);
    const admitted = Promise.all([b.add([rec(0), rec(1)]), b.add([rec(2), rec(3)])]);
    let lateDone = false;
    const late = b.add([rec(4)]).then(() => {
      lateDone = true;
    });
    await tick();
    expect(b.stats()).toMatchObject({ waitingCallers: 1, pendingRecords: 5 });
    batches[0]?.ack();
    await tick();
    expect(b.stats().waitingCallers).toBe(0);
    batches[1]?.ack();
    await admitted;
    void b.flush();
    await tick();
    expect(lateDone).toBe(false);
    batches[2]?.ack();
    await late;
    expect(batches.map((x) => x.records.length)).toEqual([2, 2, 1]);
  });

  it('admits a call larger than the whole queue when the queue is empty', async () => {
    const { batches, send } = manualSend();
    const b = new Batcher(limits({ maxRecords: 3, maxQueuedRecords: 2 }), send);
    const big = b.add(Array.from({ length: 7 }, (_, i) => rec(i)));
    await drain(b, batches);
    await big;
    expect(batches.map((x) => x.records.length)).toEqual([3, 3, 1]);
  });

  it('flush resolves once everything queued has been settled', async () => {
    const { batches, send } = manualSend();
    const b = new Batcher(limits(), send);
    void b.add([rec(0)]);
    let flushed = false;
    const f = b.flush().then(() => {
      flushed = true;
    });
    await tick();
    expect(flushed).toBe(false);
    batches[0]?.ack();
    await f;
    expect(flushed).toBe(true);
    await b.flush();
  });
});
