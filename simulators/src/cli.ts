import { EXIT, describeError } from './cli/args';
import { GEN_REGISTRY_USAGE, LOAD_USAGE, genRegistryCommand, loadCommand } from './cli/load';
import { PLAN_USAGE, planCommand } from './cli/plan';
import { RECORD_USAGE, REPLAY_USAGE, recordCommand, replayCommand } from './cli/record';
import { RUN_USAGE, runCommand } from './cli/run';

const COMMANDS: Record<string, { run: (argv: readonly string[]) => Promise<number>; usage: string }> = {
  run: { run: runCommand, usage: RUN_USAGE },
  plan: { run: planCommand, usage: PLAN_USAGE },
  load: { run: loadCommand, usage: LOAD_USAGE },
  'gen-registry': { run: genRegistryCommand, usage: GEN_REGISTRY_USAGE },
  record: { run: recordCommand, usage: RECORD_USAGE },
  replay: { run: replayCommand, usage: REPLAY_USAGE },
};

const HELP = `Ganzhi device simulators: npm run sim -- <command> [options]   (--help on any command)

  run <scenario.json>       drive a scenario against a running gateway, compare the alerts
  plan <scenario.json>      validate a scenario, show what it will do (deterministic digest)
  load                      many devices of all four kinds at a target rate: msgs/s, PUBACK p50/p99
  gen-registry              write a registry with N load devices (GANZHI_REGISTRY_FILE)
  record                    record live MQTT traffic to NDJSON (as an admin operator)
  replay <file.ndjson>      publish a recording's telemetry again, --timed or --fast

Scenarios: simulators/scenarios/*.json; the format is in simulators/README.md.`;

/** `npm run sim -- <command>`: the entry point; everything else is in the command modules. */
async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${HELP}\n`);
    return name === undefined ? EXIT.error : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`unknown command "${name}"\n\n${HELP}\n`);
    return EXIT.error;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`sim: ${describeError(err)}\n`);
    process.exit(EXIT.error);
  },
);
