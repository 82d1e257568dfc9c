import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The C harness serving librdkafka's mock cluster (see the comment at its top). */
export const MOCK_SOURCE = fileURLToPath(new URL('../../../../.ci/kafka-mock/mock_cluster.c', import.meta.url));

export interface MockCluster {
  readonly brokers: string[];
  readonly pid: number;
  /** librdkafka's version, as pkg-config reports it. */
  readonly version: string;
  /** Sends one control line (see mock_cluster.c) and resolves on its `ok` reply. */
  command(line: string): Promise<void>;
  stop(): Promise<void>;
}

/** Why the harness cannot be built here, or undefined when it can. */
export function mockUnavailableReason(): string | undefined {
  if (!existsSync(MOCK_SOURCE)) return `the harness source ${MOCK_SOURCE} is missing`;
  const gcc = spawnSync('gcc', ['--version'], { encoding: 'utf8' });
  if (gcc.error || gcc.status !== 0) return 'gcc is not installed (apt-get install gcc)';
  const pc = spawnSync('pkg-config', ['--exists', 'rdkafka'], { encoding: 'utf8' });
  if (pc.error) return 'pkg-config is not installed (apt-get install pkg-config)';
  if (pc.status !== 0) return 'librdkafka headers are not installed (apt-get install librdkafka-dev)';
  return undefined;
}

function pkgConfig(...args: string[]): string {
  const r = spawnSync('pkg-config', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pkg-config ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Compiles the harness into a fresh temporary directory (a tenth of a second), starts it with
 * `brokerCount` brokers on 127.0.0.1, and reads its bootstrap line. `stop` ends it by pid and
 * removes the directory; the harness also exits by itself when this process goes away (stdin closes).
 */
export async function startMockCluster(brokerCount = 1, startTimeoutMs = 10_000): Promise<MockCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'ganzhi-kafka-mock-'));
  const bin = join(dir, 'mock_cluster');
  const flags = [...pkgConfig('--cflags', 'rdkafka').split(/\s+/), ...pkgConfig('--libs', 'rdkafka').split(/\s+/)].filter(Boolean);
  const cc = spawnSync('gcc', ['-O1', '-o', bin, MOCK_SOURCE, ...flags], { encoding: 'utf8' });
  if (cc.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`compiling the Kafka mock harness failed: ${cc.stderr || cc.error?.message}`);
  }
  const version = pkgConfig('--modversion', 'rdkafka');
  const child: ChildProcessWithoutNullStreams = spawn(bin, [String(brokerCount)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout });
  const replies: { resolve(line: string): void; reject(err: Error): void }[] = [];
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      for (const r of replies.splice(0)) r.reject(new Error(`Kafka mock harness exited: ${stderr.trim()}`));
      resolve();
    });
  });

  const cleanup = async (): Promise<void> => {
    if (!exited && child.pid !== undefined) {
      child.stdin.end();
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (!exited && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      }, 5_000);
      await exit;
      clearTimeout(timer);
    }
    lines.close();
    rmSync(dir, { recursive: true, force: true });
  };

  let brokers: string[];
  try {
    brokers = await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Kafka mock harness printed no bootstrap line within ${startTimeoutMs} ms`)), startTimeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      void exit.then(() => {
        clearTimeout(timer);
        reject(new Error(`Kafka mock harness exited at start: ${stderr.trim()}`));
      });
      lines.once('line', (line) => {
        clearTimeout(timer);
        const m = /^bootstraps (\S+)$/.exec(line);
        if (m?.[1]) resolve(m[1].split(','));
        else reject(new Error(`unexpected first line from the Kafka mock harness: ${line}`));
      });
    });
  } catch (err) {
    await cleanup();
    throw err;
  }
  lines.on('line', (line) => replies.shift()?.resolve(line));

  let stopping: Promise<void> | undefined;
  return {
    brokers,
    pid: child.pid ?? -1,
    version,
    command(line) {
      if (exited) return Promise.reject(new Error('Kafka mock harness is not running'));
      return new Promise<void>((resolve, reject) => {
        replies.push({
          resolve: (reply) => (reply.startsWith('ok ') ? resolve() : reject(new Error(`mock cluster: ${reply}`))),
          reject,
        });
        child.stdin.write(`${line}\n`);
      });
    },
    stop() {
      stopping ??= cleanup();
      return stopping;
    },
  };
}
