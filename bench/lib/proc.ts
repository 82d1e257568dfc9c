import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Clock ticks per second of /proc/<pid>/stat utime/stime (USER_HZ; 100 on Linux). */
const HZ = 100;

/** CPU seconds (user + system) a process has used so far, or undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / HZ; // utime (14) and stime (15), 1-based
  } catch {
    return undefined;
  }
}

/** Resident set (VmRSS) and its peak (VmHWM) in MB. */
export function memoryMb(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** CPU used between start() and stop(), as a share of one core (1.0 = one core busy). */
export interface CpuMeter {
  stop(): number;
}

export function cpuMeter(pids: readonly number[]): CpuMeter {
  const t0 = performance.now();
  const c0 = pids.map((p) => cpuSeconds(p) ?? 0);
  return {
    stop() {
      const secs = (performance.now() - t0) / 1000;
      const used = pids.reduce((sum, p, i) => sum + Math.max(0, (cpuSeconds(p) ?? c0[i]!) - c0[i]!), 0);
      return secs > 0 ? used / secs : 0;
    },
  };
}

/** `n` distinct free TCP ports on 127.0.0.1 (all held open until each is picked). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((s) => { const a = s.address(); return typeof a === 'object' && a ? a.port : 0; });
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; small race before the caller binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Child {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Last 8 kB of the child's stderr and stdout, for error messages. */
  output(): string;
  readonly exited: Promise<number | null>;
  /** SIGTERM by pid, SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns a child; its output is kept (bounded) and never inherited. */
export function startChild(command: string, args: readonly string[], options: SpawnOptions = {}): Child {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A diagnostic: BENCH_CHILD_LOG=<file> appends every child's whole output there too.
  if (process.env.BENCH_CHILD_LOG) {
    const file = process.env.BENCH_CHILD_LOG;
    const tee = (d: Buffer) => appendFileSync(file, d);
    child.stdout?.on('data', tee);
    child.stderr?.on('data', tee);
  }
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      done = true;
      resolve(code);
    });
  });
  return {
    child,
    pid,
    output: () => out,
    exited,
    async stop(graceMs = 10_000) {
      if (done) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        if (!done) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `fn` every `everyMs` until it returns a value, or throws after `timeoutMs`. */
export async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Busy CPU seconds of the whole machine so far (all cores, from /proc/stat), to see other load. */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
    return (f.reduce((s, x) => s + x, 0) - idle) / HZ;
  } catch {
    return 0;
  }
}
