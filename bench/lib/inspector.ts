import WebSocket from 'ws';
import type { CpuProfile } from './cpuprofile';

/** A V8 CPU profile of another process over its inspector (`--inspect=127.0.0.1:port`), loopback only. */
export interface Profiler {
  /** Stops sampling and returns the profile. */
  stop(): Promise<CpuProfile>;
  close(): void;
}

/** A DevTools protocol session with another process's inspector (`--inspect=127.0.0.1:port`), loopback only. */
export interface InspectorSession {
  call(method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<unknown>;
  close(): void;
}

export async function openInspector(inspectPort: number): Promise<InspectorSession> {
  const list = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`, { signal: AbortSignal.timeout(5_000) })).json()) as { webSocketDebuggerUrl: string }[];
  const url = list[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on 127.0.0.1:${inspectPort}`);
  const ws = new WebSocket(url, { maxPayload: 1024 * 1024 * 1024 });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) p?.reject(new Error(msg.error.message));
    else p?.resolve(msg.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}, timeoutMs = 60_000) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => reject(new Error(`inspector ${method}: no reply in ${timeoutMs} ms`)), timeoutMs);
      pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { call, close: () => ws.close() };
}

export async function startProfiler(inspectPort: number, samplingIntervalUs = 1000): Promise<Profiler> {
  const { call, close } = await openInspector(inspectPort);
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
  await call('Profiler.start');
  return {
    async stop() {
      const r = (await call('Profiler.stop')) as { profile: CpuProfile };
      return r.profile;
    },
    close,
  };
}
