import { describe, expect, it } from 'vitest';
import type { OutRecord } from './batcher';
import { DeferredStates } from './deferred-states';

const text = (r: OutRecord) => `${r.topic}/${r.key}=${r.value === null ? 'null' : r.value.toString('utf8')}`;

describe('DeferredStates', () => {
  it('writes the latest value per topic and key once, in one batch, and nothing when nothing is held', async () => {
    const sent: string[][] = [];
    const d = new DeferredStates(async (records) => void sent.push(records.map(text)));
    d.put('s1', [{ key: 'a', value: 1 }]);
    d.put('s1', [{ key: 'a', value: 2 }, { key: 'b', value: null }]);
    d.put('s2', [{ key: 'a', value: 3 }]);
    await d.flush();
    await d.flush();
    expect(sent).toEqual([['s1/a=2', 's1/b=null', 's2/a=3']]);
  });

  it('runs one write at a time: a flush asked meanwhile waits, then writes what was put since, so a key keeps its order', async () => {
    const sent: string[][] = [];
    const release: (() => void)[] = [];
    const d = new DeferredStates(async (records) => {
      sent.push(records.map(text));
      await new Promise<void>((r) => release.push(r));
    });
    d.put('s', [{ key: 'a', value: 1 }]);
    const first = d.flush();
    await Promise.resolve();
    d.put('s', [{ key: 'a', value: 2 }]);
    const second = d.flush();
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([['s/a=1']]);
    release.shift()?.();
    await first;
    await new Promise((r) => setImmediate(r));
    release.shift()?.();
    await second;
    expect(sent).toEqual([['s/a=1'], ['s/a=2']]);
  });

  it('keeps the values of a failed write for the next flush, unless a key was put again meanwhile', async () => {
    const sent: string[][] = [];
    let fail = true;
    let release: (() => void) | undefined;
    const d = new DeferredStates(async (records) => {
      sent.push(records.map(text));
      if (fail) {
        await new Promise<void>((r) => (release = r));
        throw new Error('brokers down');
      }
    });
    d.put('s', [{ key: 'a', value: 1 }, { key: 'b', value: 1 }]);
    const failing = d.flush();
    await Promise.resolve();
    d.put('s', [{ key: 'b', value: 2 }]);
    release?.();
    await expect(failing).rejects.toThrow('brokers down');
    fail = false;
    await d.flush();
    expect(sent).toEqual([['s/a=1', 's/b=1'], ['s/b=2', 's/a=1']]);
    expect(d.size).toBe(0);
  });
});
