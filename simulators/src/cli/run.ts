import { formatComparison } from '../compare';
import { planCounts } from '../plan';
import { fastPacer, realtimePacer } from '../run/execute';
import { DEFAULT_PASSWORD_TEMPLATE, passwordFrom } from '../run/fleet';
import { createProgress } from '../run/progress';
import { runScenario } from '../run/scenario';
import { loadScenarioFile } from '../scenario/load';
import { EXIT, UsageError, duration, interruptSignal, num, parse, str } from './args';

export const RUN_USAGE = `usage: npm run sim -- run <scenario.json> [options]

Runs a scenario's devices against a running gateway and compares the alerts an operator
receives with the scenario's expected alerts.

  --url <mqtt-url>          gateway (default mqtt://127.0.0.1:1883)
  --speed <factor>          scenario time per real time (default 60: an hour a minute)
  --fast                    as fast as the gateway acknowledges (no pacing)
  --seed <n>                override the scenario's seed
  --start now|scenario      t = 0 on the wall clock (default) or at the scenario's own start
  --operator <id>           operator that watches alerts/# (default op-alice)
  --operator-password <pw>  default demo-<operator>
  --password-template <t>   device passwords, {id} replaced (default ${DEFAULT_PASSWORD_TEMPLATE})
  --settle <duration>       wait for the last alerts after the run (default 3s)`;

export async function runCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      url: { type: 'string' },
      speed: { type: 'string' },
      fast: { type: 'boolean' },
      seed: { type: 'string' },
      start: { type: 'string' },
      operator: { type: 'string' },
      'operator-password': { type: 'string' },
      'password-template': { type: 'string' },
      settle: { type: 'string' },
    },
    RUN_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${RUN_USAGE}\n`);
    return EXIT.ok;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError(`expected one scenario file\n\n${RUN_USAGE}`);
  const scenario = await loadScenarioFile(file);
  const url = str(values.url, 'mqtt://127.0.0.1:1883');
  const speed = num(values.speed, 'speed', 60, 0.001, 1_000_000);
  const startMode = str(values.start, 'now');
  if (startMode !== 'now' && startMode !== 'scenario') throw new UsageError('--start must be now or scenario');
  const start = startMode === 'now' ? Math.floor(Date.now() / 60_000) * 60_000 : scenario.start;
  const operator = str(values.operator, 'op-alice');
  const seed = values.seed === undefined ? undefined : num(values.seed, 'seed', 0, 0, 2 ** 32 - 1);
  const settleMs = duration(values.settle, 'settle', 3000);

  const out = process.stderr;
  const progress = createProgress(out);
  const interrupt = interruptSignal();
  out.write(`scenario ${scenario.name}: ${scenario.title}\n`);
  out.write(`  ${scenario.devices.length} devices, ${scenario.events.length} events, ${scenario.expect.length} expected alerts; ${values.fast ? 'as fast as possible' : `speed ${speed}x`} against ${url} (alerts watched as ${operator})\n`);
  try {
    const run = await runScenario({
      scenario,
      url,
      start,
      ...(seed !== undefined ? { seed } : {}),
      pacer: values.fast ? fastPacer() : realtimePacer(speed),
      password: passwordFrom(str(values['password-template'], DEFAULT_PASSWORD_TEMPLATE)),
      operator: { username: operator, password: str(values['operator-password'], `demo-${operator}`) },
      settle: () => new Promise((r) => setTimeout(r, settleMs)),
      signal: interrupt.signal,
      onProgress: (p) => progress.update({ t: p.t, duration: scenario.duration, done: p.done, total: p.total, counters: { alerts: p.alerts } }, p.done === p.total),
    });
    progress.end();
    const counts = planCounts(run.plan);
    const f = run.fleet;
    process.stdout.write(
      `devices: ${f.connects} connects (${f.connectFailures} refused or failed), ${f.disconnects} disconnects; telemetry: ${counts.telemetry} planned (${counts.faulty} with faults), ${f.acked} acknowledged, ${f.failed} failed, ${f.skipped} not sent (device offline)\n`,
    );
    if (run.execution.aborted) process.stdout.write('run interrupted: the comparison covers the part that ran\n');
    process.stdout.write(`${formatComparison(run.comparison, run.plan.start)}\n`);
    return run.comparison.ok ? EXIT.ok : EXIT.different;
  } finally {
    interrupt.dispose();
  }
}
