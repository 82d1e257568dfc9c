import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redAlertThrough, startAllInOne, type AllInOne } from './helpers/all-in-one';
import { REPO_ROOT } from './helpers/process';

/**
 * The production build: `npm run build` compiles every service into dist/, and the built
 * all-in-one runs on plain node (no tsx) and raises a red alert end to end. Production
 * dependencies carry no test or build tooling.
 */
const SERVICES = ['all', 'gateway', 'normalizer', 'rules', 'alerts', 'writer', 'api', 'notifier'];
const TOOLING = ['vitest', 'testcontainers', '@testcontainers/kafka', 'tsx', 'typescript', 'esbuild', 'kubernetes-models', 'parse-prometheus-text-format', '@prometheus-io/lezer-promql'];

describe('npm run build', () => {
  let aio: AllInOne | undefined;
  beforeAll(() => {
    const run = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 180_000 });
    if (run.status !== 0) throw new Error(`npm run build failed:\n${run.stdout}\n${run.stderr}`);
  }, 200_000);
  afterAll(async () => {
    await aio?.stop();
  });

  it('produces a JavaScript entry point in dist/ for every service, importing no development tooling', () => {
    for (const s of SERVICES) {
      const file = `${REPO_ROOT}dist/services/${s}/main.js`;
      expect(existsSync(file), file).toBe(true);
      const code = readFileSync(file, 'utf8');
      for (const tool of TOOLING) expect(code, `${s} imports ${tool}`).not.toMatch(new RegExp(`from ["']${tool.replace('/', '\\/')}["'/]`));
      expect(code).not.toMatch(/(from|import\()\s*["'][^"']+\.ts["']/); // no TypeScript left to load at run time
      expect(code).not.toMatch(/from ["']@ganzhi\//); // the workspace packages are compiled in
    }
    expect(existsSync(`${REPO_ROOT}dist/packages/registry/hash-secret.js`)).toBe(true);
  });

  it('runs the built all-in-one with node and gets a red alert through it', async () => {
    aio = await startAllInOne({ built: true });
    expect(aio.child.proc.spawnargs).toEqual([process.execPath, '--enable-source-maps', 'dist/services/all/main.js']);
    const alert = await redAlertThrough(aio.mqttPort);
    expect(alert).toMatchObject({ level: 'red', deviceId: 'gauge-001' });
    const metrics = await (await aio.ops('/metrics')).text();
    expect(metrics).toMatch(/^ganzhi_alerts_raised_total\{level="red",service="ganzhi"\} 1$/m);
  });

  it('hashes a secret with the built CLI', () => {
    // the secret comes on standard input, never on the command line (visible in process lists)
    const run = spawnSync(process.execPath, ['dist/packages/registry/hash-secret.js'], { cwd: REPO_ROOT, encoding: 'utf8', input: 'not-a-demo-secret' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toMatch(/^scrypt\$/);
  });
});

describe('production dependencies (npm ls --omit=dev)', () => {
  it('list no test or build tooling', () => {
    const run = spawnSync('npm', ['ls', '--omit=dev', '--all', '--json'], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(run.status, run.stderr).toBe(0);
    const names = new Set<string>();
    const walk = (deps: Record<string, { dependencies?: Record<string, unknown> }> | undefined) => {
      for (const [name, d] of Object.entries(deps ?? {})) {
        names.add(name);
        walk(d.dependencies as Record<string, { dependencies?: Record<string, unknown> }>);
      }
    };
    walk((JSON.parse(run.stdout) as { dependencies: Record<string, { dependencies?: Record<string, unknown> }> }).dependencies);
    expect(names.has('prom-client')).toBe(true);
    expect(names.has('aedes')).toBe(true);
    for (const tool of TOOLING) expect(names.has(tool), `${tool} is a production dependency`).toBe(false);
  });
});
