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
  /** Events (messages without an id) of one method. */
  on(method: string, listener: (params: Record<string, unknown>) => void): void;
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
  const listeners = new Map<string, ((params: Record<string, unknown>) => void)[]>();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; method?: string; params?: Record<string, unknown>; result?: unknown; error?: { message: string } };
    if (msg.id === undefined) {
      for (const l of listeners.get(msg.method ?? '') ?? []) l(msg.params ?? {});
      return;
    }
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
  const on = (method: string, listener: (params: Record<string, unknown>) => void) => listeners.set(method, [...(listeners.get(method) ?? []), listener]);
  return { call, on, close: () => ws.close() };
}

export async function startProfiler(inspectPort: number, samplingIntervalUs = 1000): Promise<Profiler> {
  const { call, close } = await openInspector(inspectPort);
  return sample(call, close, samplingIntervalUs);
}

/** Starts V8's sampling profiler through `call` (a thread's protocol session); `stop` returns its profile. */
async function sample(call: (method: string, params?: Record<string, unknown>) => Promise<unknown>, close: () => void, samplingIntervalUs: number): Promise<Profiler> {
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

/**
 * A V8 CPU profile of one worker thread of another process (the first whose module URL matches),
 * through the inspector's NodeWorker domain: the main thread's session relays the worker's own
 * protocol messages.
 */
export async function startWorkerProfiler(inspectPort: number, matchUrl: RegExp, samplingIntervalUs = 1000): Promise<Profiler> {
  const session = await openInspector(inspectPort);
  const attached = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no worker thread matching ${matchUrl} in 10 s`)), 10_000);
    session.on('NodeWorker.attachedToWorker', (p) => {
      const info = p['workerInfo'] as { url?: string; title?: string } | undefined;
      if (!matchUrl.test(`${info?.url ?? ''} ${info?.title ?? ''}`)) return;
      clearTimeout(timer);
      resolve(p['sessionId'] as string);
    });
  });
  await session.call('NodeWorker.enable', { waitForDebuggerOnStart: false });
  const sessionId = await attached;
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  session.on('NodeWorker.receivedMessageFromWorker', (p) => {
    if (p['sessionId'] !== sessionId) return;
    const msg = JSON.parse(p['message'] as string) as { id?: number; result?: unknown; error?: { message: string } };
    if (msg.id === undefined) return;
    const w = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) w?.reject(new Error(msg.error.message));
    else w?.resolve(msg.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      session.call('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
    });
  return sample(call, () => session.close(), samplingIntervalUs);
}
