import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/process';
import { startPipeline, type RunningPipeline } from '../helpers/pipeline';

const scenarios = fileURLToPath(new URL('../../simulators/scenarios/', import.meta.url));

/** Runs `npm run sim -- ...` the way a second terminal does (tsx, from the repo root). */
function sim(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'simulators/src/cli.ts', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sim ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let p: RunningPipeline;
beforeAll(async () => {
  p = await startPipeline();
});
afterAll(async () => {
  await p?.stop();
});

describe('the sim CLI', () => {
  it('runs a scenario against a running gateway, prints received vs expected alerts and exits 0 when they agree', async () => {
    const r = await sim(['run', `${scenarios}warehouse-fire.json`, '--url', p.mqttUrl, '--fast', '--settle', '1s']);
    expect(r.stdout).toMatch(/alerts: 9 expected, 9 matched, 0 missing, 0 wrong grade, 0 unexpected/);
    expect(r.stdout).toMatch(/ok +fire-001 fire-smoke-and-heat red \(I\) within 20m of fire-starts/);
    expect(r.stdout).toMatch(/result: as expected/);
    expect(r.stderr).toMatch(/^progress 100%/m); // not a TTY: plain progress lines
    expect(r.code).toBe(0);
  });

  it('plans deterministically: the same seed gives the same payload digest, another seed another', async () => {
    const file = `${scenarios}quiet-day.json`;
    const [a, b, c] = await Promise.all([sim(['plan', file]), sim(['plan', file]), sim(['plan', file, '--seed', '7'])]);
    const digest = (out: string) => /digest ([0-9a-f]{16})/.exec(out)?.[1];
    expect(digest(a.stdout)).toBeDefined();
    expect(digest(a.stdout)).toBe(digest(b.stdout));
    expect(digest(c.stdout)).not.toBe(digest(a.stdout));
  });

  it('refuses an invalid scenario with the field that is wrong and exit code 2', async () => {
    const r = await sim(['run', `${REPO_ROOT}package.json`, '--url', p.mqttUrl]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/GANZHI_ERR_SIM_SCENARIO: invalid scenario file: .*package\.json: title: /);
  });
});
