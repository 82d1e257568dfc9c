import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/process';
import { startPipeline, type RunningPipeline } from './helpers/pipeline';

/**
 * The README's mosquitto example, run exactly as written there (only the port is changed to the
 * test pipeline's, and the subscriber is told to stop after one message).
 */
const hasMosquitto = spawnSync('mosquitto_pub', ['--help']).error === undefined;
if (!hasMosquitto) console.warn('readme-example: SKIPPED — mosquitto_pub/mosquitto_sub not installed (apt-get install mosquitto-clients; .ci/run does)');

/** The shell words of the first README line starting with `cmd` (joining `\` continuations). */
function readmeCommand(cmd: string): string[] {
  const readme = readFileSync(`${REPO_ROOT}README.md`, 'utf8').replace(/\\\n\s*/g, ' ');
  const line = readme.split('\n').find((l) => l.trim().startsWith(`${cmd} `));
  if (!line) throw new Error(`README has no ${cmd} line`);
  const words: string[] = [];
  for (const m of line.trim().matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

const withPort = (args: string[], port: number) => args.map((a, i) => (args[i - 1] === '-p' ? String(port) : a));

describe.skipIf(!hasMosquitto)('the README example', () => {
  let p: RunningPipeline;
  beforeAll(async () => {
    p = await startPipeline();
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('prints a red alert for the demo gauge on the operator terminal, as the README shows', async () => {
    const port = p.pipeline.gateway.ports().mqtt;
    const [subCmd, ...subArgs] = withPort(readmeCommand('mosquitto_sub'), port);
    const [pubCmd, ...pubArgs] = withPort(readmeCommand('mosquitto_pub'), port);
    expect(subCmd).toBe('mosquitto_sub');
    expect(pubCmd).toBe('mosquitto_pub');

    const sub = spawn(subCmd!, [...subArgs, '-C', '1', '-W', '30'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    sub.stdout.on('data', (d: Buffer) => (out += d.toString()));
    sub.stderr.on('data', (d: Buffer) => (out += d.toString()));
    // 'close', not 'exit': on a busy machine the process can exit before its stdout is read
    const exited = new Promise<number | null>((resolve) => sub.once('close', (code) => resolve(code)));
    // give the subscriber time to connect and subscribe before the device publishes
    for (let i = 0; i < 100 && p.pipeline.gateway.broker!.connectedClients < 1; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));

    // asynchronously: the broker runs in this process and must keep answering
    const pub = spawn(pubCmd!, pubArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let pubErr = '';
    pub.stderr.on('data', (d: Buffer) => (pubErr += d.toString()));
    const pubCode = await new Promise<number | null>((resolve) => pub.once('exit', (code) => resolve(code)));
    expect(pubCode, pubErr).toBe(0);
    expect(await exited, out).toBe(0);

    const [topic, ...rest] = out.trim().split(' ');
    expect(topic).toMatch(/^alerts\/red\/river_gauge\/gauge-001\/[A-Za-z0-9_.-]+$/);
    expect(JSON.parse(rest.join(' '))).toMatchObject({ deviceId: 'gauge-001', level: 'red', status: 'open', value: 15.5, grade: 'I' });
  });
});
