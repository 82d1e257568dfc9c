import { existsSync } from 'node:fs';
import { request } from 'node:http';
import type { RequestOptions } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Finds a Docker engine that answers `/_ping` within `timeoutMs`: DOCKER_HOST when set (unix://
 * or tcp://), else the usual socket paths. Resolves to a description of it, or undefined; never hangs.
 */
export async function findDockerEngine(env: NodeJS.ProcessEnv, timeoutMs = 1_500): Promise<string | undefined> {
  const host = env.DOCKER_HOST;
  if (host) {
    if (host.startsWith('unix://')) return (await ping({ socketPath: host.slice('unix://'.length) }, timeoutMs)) ? host : undefined;
    if (host.startsWith('tcp://') || host.startsWith('http://')) {
      const url = new URL(host.replace(/^tcp:/, 'http:'));
      // A TLS-protected engine cannot be pinged without its certificates: trust DOCKER_HOST.
      if (env.DOCKER_TLS_VERIFY) return host;
      return (await ping({ host: url.hostname, port: Number(url.port || 2375) }, timeoutMs)) ? host : undefined;
    }
    return undefined;
  }
  const candidates = [
    '/var/run/docker.sock',
    env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'docker.sock') : undefined,
    join(homedir(), '.docker', 'run', 'docker.sock'),
    join(homedir(), '.docker', 'desktop', 'docker.sock'),
  ].filter((p): p is string => p !== undefined && existsSync(p));
  for (const socketPath of candidates) {
    if (await ping({ socketPath }, timeoutMs)) return `unix://${socketPath}`;
  }
  return undefined;
}

function ping(target: RequestOptions, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
