/**
 * Preloaded into a target (NODE_OPTIONS=--import=<this file>, with HEAP_PROBE_OUT set) by
 * bench/probe-conn.ts: on SIGUSR2 the main thread collects garbage fully and writes its memory
 * figures as one JSON line to `${HEAP_PROBE_OUT}.${pid}` (with HEAP_PROBE_SNAPSHOT=1, also a heap
 * snapshot `${HEAP_PROBE_OUT}.${pid}.<n>.heapsnapshot` first). Not for production.
 */
import { appendFileSync } from 'node:fs';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isMainThread } from 'node:worker_threads';

if (isMainThread && process.env.HEAP_PROBE_OUT) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  const out = `${process.env.HEAP_PROBE_OUT}.${process.pid}`;
  let n = 0;
  process.on('SIGUSR2', () => {
    gc();
    gc();
    if (process.env.HEAP_PROBE_SNAPSHOT === '1') writeHeapSnapshot(`${out}.${n++}.heapsnapshot`);
    const m = process.memoryUsage();
    appendFileSync(out, `${JSON.stringify({ heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss })}\n`);
  });
}
