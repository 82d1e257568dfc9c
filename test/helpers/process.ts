import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A free loopback port (the OS picks it; the tiny race is acceptable in tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface Child {
  proc: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a TypeScript entry point of this repo as a separate Node process (through tsx). */
export function startTs(entry: string, env: Record<string, string>): Child {
  return startNode(['--import', 'tsx', entry], env);
}

/**
 * Starts a Node process in the repo with these arguments (e.g. a built `dist/` entry). Its ops
 * listener takes any free port unless `env` names one (`GANZHI_OPS_PORT`; the port is logged).
 */
export function startNode(args: string[], env: Record<string, string>): Child {
  const proc = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    // the ops listener and the protocol listeners (on by default in the all-in-one process) on ports the OS picks
    env: { ...process.env, GANZHI_OPS_PORT: '0', GANZHI_HJ212_PORT: '0', GANZHI_SL651_PORT: '0', GANZHI_GBT26875_TCP_PORT: '0', GANZHI_GBT26875_UDP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  proc.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { proc, output: () => out, exited };
}

/** Waits until a TCP port accepts connections, or fails with the child's output. */
export async function waitForPort(port: number, child: Child, timeoutMs = 60_000): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null) throw new Error(`process exited early:\n${child.output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} did not open in ${timeoutMs} ms:\n${child.output()}`);
}

/** Starts `npm start`'s entry point with `env` and resolves once each of `ports` accepts connections. */
export async function startAllInOneOn(env: Record<string, string>, ports: readonly number[]): Promise<Child> {
  const child = startTs('services/all/src/main.ts', env);
  try {
    for (const port of ports) await waitForPort(port, child);
  } catch (err) {
    child.proc.kill('SIGKILL');
    throw err;
  }
  return child;
}
