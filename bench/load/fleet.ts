import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { emptyHistogram, merge } from '../lib/hist';
import type { DeviceSpec } from './devices';
import { shard } from './devices';
import type { FromWorker, Mark, Spike, ToWorker } from './protocol';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface FleetTotals {
  sent: number;
  acked: number;
  throttled: number;
  inflight: number;
  connected: number;
  dropped: number;
  /** Histogram since the previous mark, all workers merged. */
  hist: number[];
  spikes: Spike[];
}

export interface ConnectResult {
  connected: number;
  failed: number;
  /** CONNACK 3 (server unavailable: its secret checks were queued full) answers retried. */
  busyRetries: number;
  ms: number;
  firstError?: string;
}

export interface Fleet {
  readonly pids: readonly number[];
  /** `keepaliveSec` > 0: devices send PINGREQ when silent that long (default 0: no keep-alive). */
  connect(target: { host: string; port: number; auth: boolean }, window: number, concurrency?: number, keepaliveSec?: number): Promise<ConnectResult>;
  /** Total msgs/s over all workers (0 = closed loop). */
  setRate(rate: number, window?: number): void;
  spikes(perSec: number): void;
  mark(): Promise<FleetTotals>;
  /** Every spike reported by the marks so far (cleared by this call). */
  takeSpikes(): Spike[];
  stop(timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

type Reply<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

class Worker {
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;
  private readonly waiting = new Map<string, ((m: FromWorker) => void)[]>();
  private failure: Error | undefined;
  private stderr = '';

  constructor() {
    this.proc = fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.proc.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.proc.on('message', (m: FromWorker) => {
      if (m.type === 'error') this.failure = new Error(`load worker: ${m.message}`);
      const queue = this.waiting.get(m.type);
      queue?.shift()?.(m);
    });
    this.exited = new Promise((resolve) =>
      this.proc.once('exit', (code) => {
        this.failure ??= new Error(`load worker exited (${code}): ${this.stderr.trim()}`);
        for (const q of this.waiting.values()) q.splice(0).forEach((r) => r({ type: 'error', message: this.failure!.message }));
        resolve();
      }),
    );
  }

  send(m: ToWorker): void {
    if (this.failure) throw this.failure;
    this.proc.send(m);
  }

  request<T extends FromWorker['type']>(m: ToWorker | undefined, reply: T, timeoutMs: number): Promise<Reply<T>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load worker: no ${reply} within ${timeoutMs} ms`)), timeoutMs);
      const queue = this.waiting.get(reply) ?? [];
      this.waiting.set(reply, queue);
      queue.push((r) => {
        clearTimeout(timer);
        if (r.type === 'error') reject(new Error(r.message));
        else resolve(r as Reply<T>);
      });
      if (m) {
        try {
          this.send(m);
        } catch (err) {
          clearTimeout(timer);
          reject(err as Error);
        }
      }
    });
  }
}

/**
 * `workers` load processes sharing `devices` (in blocks of four, so each has every kind). The parent
 * only steers and collects: all sockets live in the workers.
 */
export async function startFleet(devices: readonly DeviceSpec[], workers = 2): Promise<Fleet> {
  const shares = shard(devices, workers).filter((s) => s.length > 0);
  const ws = shares.map(() => new Worker());
  await Promise.all(ws.map((w) => w.request(undefined, 'ready', 30_000)));
  const weights = shares.map((s) => s.length / devices.length);
  const gauges = shares.map((s) => s.filter((d) => d.spikeLevel !== undefined).length);
  const allGauges = gauges.reduce((a, b) => a + b, 0);
  let collected: Spike[] = [];
  return {
    pids: ws.map((w) => w.proc.pid!),
    async connect(target, window, concurrency = 100, keepaliveSec = 0) {
      const results = await Promise.all(
        ws.map((w, i) =>
          w.request({ type: 'connect', ...target, devices: shares[i]!, window, concurrency: Math.ceil(concurrency / ws.length), keepaliveSec }, 'connected', 300_000),
        ),
      );
      const firstError = results.find((r) => r.firstError)?.firstError;
      return {
        connected: results.reduce((s, r) => s + r.connected, 0),
        failed: results.reduce((s, r) => s + r.failed, 0),
        busyRetries: results.reduce((s, r) => s + r.busyRetries, 0),
        ms: Math.max(...results.map((r) => r.ms)),
        ...(firstError ? { firstError } : {}),
      };
    },
    setRate(rate, window) {
      ws.forEach((w, i) => w.send({ type: 'rate', rate: rate * weights[i]!, ...(window !== undefined ? { window } : {}) }));
    },
    spikes(perSec) {
      ws.forEach((w, i) => w.send({ type: 'spikes', perSec: allGauges ? (perSec * gauges[i]!) / allGauges : 0 }));
    },
    async mark() {
      const marks: Mark[] = await Promise.all(ws.map((w) => w.request({ type: 'mark' }, 'mark', 10_000)));
      const hist = emptyHistogram();
      for (const m of marks) merge(hist, m.hist);
      for (const m of marks) collected.push(...m.spikes);
      const sum = (k: 'sent' | 'acked' | 'throttled' | 'inflight' | 'connected' | 'dropped') => marks.reduce((s, m) => s + m[k], 0);
      return {
        sent: sum('sent'),
        acked: sum('acked'),
        throttled: sum('throttled'),
        inflight: sum('inflight'),
        connected: sum('connected'),
        dropped: sum('dropped'),
        hist,
        spikes: marks.flatMap((m) => m.spikes),
      };
    },
    takeSpikes() {
      const out = collected;
      collected = [];
      return out;
    },
    async stop(timeoutMs = 10_000) {
      const r = await Promise.all(ws.map((w) => w.request({ type: 'stop', timeoutMs }, 'stopped', timeoutMs + 5_000)));
      return r.reduce((s, x) => s + x.inflight, 0);
    },
    async close() {
      for (const w of ws) {
        try {
          w.send({ type: 'close' });
        } catch {
          /* already gone */
        }
      }
      const timer = setTimeout(() => ws.forEach((w) => w.proc.exitCode === null && w.proc.pid && process.kill(w.proc.pid, 'SIGKILL')), 5_000);
      await Promise.all(ws.map((w) => w.exited));
      clearTimeout(timer);
    },
  };
}
