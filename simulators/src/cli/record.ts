import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseRecording, replayPlan } from '../record/format';
import { recordTraffic } from '../record/record';
import { executePlan, fastPacer, realtimePacer } from '../run/execute';
import { DEFAULT_PASSWORD_TEMPLATE, createFleet, passwordFrom } from '../run/fleet';
import { createProgress } from '../run/progress';
import { EXIT, UsageError, duration, interruptSignal, num, parse, str } from './args';

export const RECORD_USAGE = `usage: npm run sim -- record --out <file.ndjson> [options]

Records the live MQTT traffic an operator may see (an admin operator sees devices/#) until
Ctrl-C, --duration or --max.

  --url <mqtt-url>          (default mqtt://127.0.0.1:1883)
  --user <operator>         (default op-admin)
  --password <pw>           (default demo-<user>)
  --topics <f1,f2>          topic filters (default devices/#,alerts/#)
  --duration <duration>     stop after this long
  --max <n>                 stop after n messages`;

export const REPLAY_USAGE = `usage: npm run sim -- replay <file.ndjson> [--timed | --fast] [options]

Publishes the device telemetry of a recording again, each device with its own credentials.
Retained messages and non-device topics are skipped.

  --timed                   keep the recorded gaps (default), scaled by --speed
  --fast                    as fast as the gateway acknowledges
  --speed <factor>          with --timed (default 1)
  --url <mqtt-url>          (default mqtt://127.0.0.1:1883)
  --retime                  move JSON "ts" fields so the recording starts now
  --password-template <t>   (default ${DEFAULT_PASSWORD_TEMPLATE})`;

export async function recordCommand(argv: readonly string[]): Promise<number> {
  const { values } = parse(
    argv,
    { url: { type: 'string' }, user: { type: 'string' }, password: { type: 'string' }, topics: { type: 'string' }, out: { type: 'string' }, duration: { type: 'string' }, max: { type: 'string' } },
    RECORD_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${RECORD_USAGE}\n`);
    return EXIT.ok;
  }
  if (!values.out) throw new UsageError(`--out is required\n\n${RECORD_USAGE}`);
  const user = str(values.user, 'op-admin');
  const out = createWriteStream(values.out, { flags: 'w' });
  const interrupt = interruptSignal();
  let last = 0;
  try {
    const result = await recordTraffic({
      url: str(values.url, 'mqtt://127.0.0.1:1883'),
      username: user,
      password: str(values.password, `demo-${user}`),
      filters: str(values.topics, 'devices/#,alerts/#').split(',').map((s) => s.trim()).filter(Boolean),
      write: (line) => void out.write(line),
      ...(values.duration !== undefined ? { durationMs: duration(values.duration, 'duration', 0) } : {}),
      ...(values.max !== undefined ? { maxMessages: num(values.max, 'max', 0, 1) } : {}),
      signal: interrupt.signal,
      onMessage: (n) => {
        const now = Date.now();
        if (now - last >= 2000) {
          last = now;
          process.stderr.write(`recorded ${n} messages\n`);
        }
      },
    });
    if (result.refused.length) process.stderr.write(`not allowed to subscribe to: ${result.refused.join(', ')}\n`);
    process.stdout.write(`recorded ${result.messages} messages to ${values.out}\n`);
    return EXIT.ok;
  } finally {
    interrupt.dispose();
    await new Promise<void>((r) => out.end(() => r()));
  }
}

export async function replayCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { url: { type: 'string' }, timed: { type: 'boolean' }, fast: { type: 'boolean' }, speed: { type: 'string' }, retime: { type: 'boolean' }, 'password-template': { type: 'string' } },
    REPLAY_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${REPLAY_USAGE}\n`);
    return EXIT.ok;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError(`expected one recording file\n\n${REPLAY_USAGE}`);
  if (values.timed && values.fast) throw new UsageError('--timed and --fast exclude each other');
  const recording = parseRecording(await readFile(file, 'utf8'), file);
  const plan = replayPlan(recording, values.retime ? { shiftTs: Date.now() - recording.header.recordedAt } : {});
  const fleet = createFleet({ url: str(values.url, 'mqtt://127.0.0.1:1883'), password: passwordFrom(str(values['password-template'], DEFAULT_PASSWORD_TEMPLATE)) });
  const progress = createProgress(process.stderr);
  const interrupt = interruptSignal();
  const devices = new Set(plan.actions.map((a) => a.device)).size;
  process.stderr.write(`replaying ${plan.actions.length - devices} messages of ${devices} devices ${values.fast ? 'as fast as possible' : `at ${num(values.speed, 'speed', 1, 0.001)}x`}\n`);
  try {
    const result = await executePlan(plan, {
      fleet,
      pacer: values.fast ? fastPacer() : realtimePacer(num(values.speed, 'speed', 1, 0.001, 1_000_000)),
      signal: interrupt.signal,
      onProgress: (p) => progress.update({ t: p.t, duration: plan.duration, done: p.done, total: p.total, counters: { acked: fleet.stats().acked } }, p.done === p.total),
    });
    progress.end();
    const s = fleet.stats();
    process.stdout.write(`replayed ${result.telemetry} messages: ${s.acked} acknowledged, ${s.failed} failed, ${s.skipped} not sent (device refused), ${s.connectFailures} refused connections\n`);
    return s.failed === 0 && s.connectFailures === 0 ? EXIT.ok : EXIT.different;
  } finally {
    interrupt.dispose();
    await fleet.close();
  }
}
