import { formatComparison } from '../compare';
import { planCounts } from '../plan';
import { fastPacer, realtimePacer } from '../run/execute';
import { DEFAULT_PASSWORD_TEMPLATE, passwordFrom } from '../run/fleet';
import { createProgress } from '../run/progress';
import { runScenario } from '../run/scenario';
import { loadScenarioFile } from '../scenario/load';
import { EXIT, UsageError, duration, interruptSignal, num, parse, str } from './args';
import { LINK_OPTIONS, LINK_USAGE, linksFrom } from './links';

export const RUN_USAGE = `usage: npm run sim -- run <scenario.json> [options]

Runs a scenario's devices against a running gateway and compares the alerts an operator
receives with the scenario's expected alerts.

  --url <mqtt-url>          gateway (default mqtt://127.0.0.1:1883)
  --speed <factor>          scenario time per real time (default 60: an hour a minute)
  --fast                    as fast as the gateway acknowledges (no pacing)
  --seed <n>                override the scenario's seed
  --start <when>            where t = 0 lies on the scenario clock (payload timestamps):
                              auto      (default) now, unless the timestamps would then run more
                                        than 23 h ahead of the gateway's clock (the normalizer
                                        refuses a day ahead): then end-now without status messages
                              now       the run's start
                              end-now   so that the scenario ends when the run ends (timestamps
                                        in the past; status messages are turned off, as the rules
                                        would take later telemetry for late readings)
                              scenario  the scenario file's own start (also without status)
                              or an ISO 8601 time with a zone
  --no-status               no status messages and no last will
  --operator <id>           operator that watches alerts/# (default op-alice)
  --operator-password <pw>  default demo-<operator>
  --password-template <t>   device passwords, {id} replaced (default ${DEFAULT_PASSWORD_TEMPLATE})
  --settle <duration>       wait for the last alerts after the run (default 3s)
${LINK_USAGE}`;

/** How far ahead of the gateway's clock payload timestamps may run (the normalizer allows 1 day). */
const MAX_AHEAD_MS = 23 * 3_600_000;

/**
 * Epoch ms of t = 0 for a --start choice (see RUN_USAGE), and whether status messages can be
 * sent: a status reading carries the gateway's clock, so with timestamps in the past the rules
 * would skip every later report of the device as late.
 */
export function startOf(choice: string, scenarioStart: number, duration: number, speed: number, now: number): { start: number; status: boolean } {
  const minute = (ms: number) => Math.floor(ms / 60_000) * 60_000;
  const ahead = duration * (1 - 1 / speed);
  switch (choice) {
    case 'auto':
      return ahead <= MAX_AHEAD_MS ? { start: minute(now) + 60_000, status: true } : { start: minute(now - duration + duration / speed), status: false };
    case 'now':
      return { start: minute(now) + 60_000, status: true };
    case 'end-now':
      return { start: minute(now - duration + duration / speed), status: false };
    case 'scenario':
      return { start: scenarioStart, status: scenarioStart > now };
    default: {
      const at = /[zZ]|[+-]\d{2}:?\d{2}$/.test(choice) ? Date.parse(choice) : NaN;
      if (!Number.isFinite(at)) throw new UsageError(`--start must be auto, now, end-now, scenario or an ISO 8601 time with a zone; got ${choice}`);
      return { start: at, status: at > now };
    }
  }
}

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
      'no-status': { type: 'boolean' },
      ...LINK_OPTIONS,
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
  const choice = str(values.start, 'auto');
  const startedAt = Date.now();
  const { start, status } = startOf(choice, scenario.start, scenario.duration, values.fast ? Infinity : speed, startedAt);
  const withStatus = status && !values['no-status'];
  const operator = str(values.operator, 'op-alice');
  const seed = values.seed === undefined ? undefined : num(values.seed, 'seed', 0, 0, 2 ** 32 - 1);
  const settleMs = duration(values.settle, 'settle', 3000);

  const out = process.stderr;
  const progress = createProgress(out);
  const interrupt = interruptSignal();
  out.write(`scenario ${scenario.name}: ${scenario.title}\n`);
  out.write(`  t = 0 is ${new Date(start).toISOString()} (--start ${choice})${withStatus ? '' : '; no status messages'}\n`);
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
      status: withStatus,
      links: linksFrom(values, url),
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
    if (!run.comparison.ok && run.comparison.matched.length === 0 && start < startedAt) {
      process.stdout.write(
        'hint: the timestamps of this run lie in the past. If the pipeline has already seen these devices with later timestamps (an earlier run), its rules skip these readings as late: restart it on a fresh GANZHI_DATA_DIR, or use --start now with a lower --speed.\n',
      );
    }
    return run.comparison.ok ? EXIT.ok : EXIT.different;
  } finally {
    interrupt.dispose();
  }
}
