import { createHash } from 'node:crypto';
import { formatDuration } from '../duration';
import { planCounts, planScenario } from '../plan';
import { loadScenarioFile } from '../scenario/load';
import { EXIT, UsageError, num, parse } from './args';

export const PLAN_USAGE = `usage: npm run sim -- plan <scenario.json> [--seed <n>] [--ndjson]

Validates a scenario and prints what its devices will do: counts and a digest of the exact
payloads (the same seed always gives the same digest), or every action as NDJSON.`;

export async function planCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parse(argv, { seed: { type: 'string' }, ndjson: { type: 'boolean' } }, PLAN_USAGE);
  if (values.help) {
    process.stdout.write(`${PLAN_USAGE}\n`);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError(`expected scenario file(s)\n\n${PLAN_USAGE}`);
  for (const file of positionals) {
    const scenario = await loadScenarioFile(file);
    const plan = planScenario(scenario, values.seed === undefined ? {} : { seed: num(values.seed, 'seed', 0, 0, 2 ** 32 - 1) });
    const hash = createHash('sha256');
    for (const a of plan.actions) {
      const payload = a.type === 'telemetry' ? (typeof a.payload === 'string' ? a.payload : Buffer.from(a.payload).toString('base64')) : undefined;
      const line = JSON.stringify({ ...a, ...(payload !== undefined ? { payload } : {}) });
      hash.update(line);
      if (values.ndjson) process.stdout.write(`${line}\n`);
    }
    if (!values.ndjson) {
      const c = planCounts(plan);
      process.stdout.write(
        `${file}: ${scenario.name} (seed ${plan.seed}), ${formatDuration(plan.duration)}, ${scenario.devices.length} devices, ${c.telemetry} reports (${c.faulty} with faults), ${c.connects} connects, ${c.disconnects} disconnects, ${scenario.expect.length} expected alerts; digest ${hash.digest('hex').slice(0, 16)}\n`,
      );
    }
  }
  return EXIT.ok;
}
