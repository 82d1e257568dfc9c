import { readFile, writeFile } from 'node:fs/promises';
import { parseRegistry } from '@ganzhi/registry';
import { generateRegistry, LOAD_SCRYPT, loadDevices, type LoadDeviceOptions } from '../load/devices';
import { runLoad } from '../load/run';
import { DEFAULT_PASSWORD_TEMPLATE, passwordFrom } from '../run/fleet';
import { EXIT, UsageError, duration, interruptSignal, num, parse, str } from './args';
import { LINK_OPTIONS, LINK_USAGE, linksFrom } from './links';

export const GEN_REGISTRY_USAGE = `usage: npm run sim -- gen-registry --devices <n> --out <file> [options]

Writes a registry (GANZHI_REGISTRY_FILE) with n load devices spread over the four kinds, plus the
demo registry's devices and operators (so scenarios, op-alice and op-admin keep working).
Passwords follow a public template and hashes use low scrypt cost (N=${LOAD_SCRYPT.N}) so that a
thousand devices can authenticate quickly: a test-bench registry, never a deployment's.

  --devices <n>             total load devices (required)
  --out <file>              where to write it (required)
  --prefix <p>              device id prefix (default load: load-gauge-0001, load-air-0001, ...)
  --protocol-share <0..1>   share of gauges on SL 651 and air monitors on HJ 212 (default 0.1)
  --link-share <0..1>       share of those HJ 212 monitors and SL 651 gauges on the HJ 212 / SL 651
                            TCP listeners (RTUs alternate HEX and ASCII mode, their password is 4
                            hex digits of the template's), and of fire sensors that are GB/T
                            26875.3 UITDs on TCP (default 0: all MQTT)
  --seed <n>                (default 1)
  --password-template <t>   (default ${DEFAULT_PASSWORD_TEMPLATE})
  --demo-registry <file>    devices, models, operators to include (default deploy/demo/registry.json)
  --no-demo                 include nothing else`;

export const LOAD_USAGE = `usage: npm run sim -- load [--registry <file> | --devices <n>] [options]

Connects every load device (one MQTT connection each) and publishes telemetry of all four kinds
at QoS 1; reports acknowledged messages per second and PUBACK latency percentiles.

  --registry <file>         a registry made by gen-registry: its load devices are used
  --devices <n>             or: the load devices gen-registry would make for n (same --prefix/--seed)
  --url <mqtt-url>          (default mqtt://127.0.0.1:1883)
  --rate <msgs/s>           target rate over the fleet (default 1000; 0 = as fast as acknowledged)
  --duration <s|duration>   publishing time (default 30s)
  --window <n>              unacknowledged publishes per device (default 4)
  --connect-concurrency <n> connections opened at once (default 50)
  --pid <pid>               also sample this process's RSS (the pipeline) every second
  --json                    print the result as JSON
  --password-template <t>   (default ${DEFAULT_PASSWORD_TEMPLATE})
  --link-share <0..1>       with --devices: as gen-registry's (a registry file says its own)
${LINK_USAGE}`;

const DEMO_REGISTRY = new URL('../../../deploy/demo/registry.json', import.meta.url);

export async function genRegistryCommand(argv: readonly string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      devices: { type: 'string' },
      out: { type: 'string' },
      prefix: { type: 'string' },
      'protocol-share': { type: 'string' },
      'link-share': { type: 'string' },
      seed: { type: 'string' },
      'password-template': { type: 'string' },
      'demo-registry': { type: 'string' },
      'no-demo': { type: 'boolean' },
    },
    GEN_REGISTRY_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${GEN_REGISTRY_USAGE}\n`);
    return EXIT.ok;
  }
  if (values.devices === undefined || values.out === undefined) throw new UsageError(`--devices and --out are required\n\n${GEN_REGISTRY_USAGE}`);
  const include = values['no-demo'] ? undefined : parseRegistry(JSON.parse(await readFile(values['demo-registry'] ?? DEMO_REGISTRY, 'utf8')), 'demo registry');
  const started = performance.now();
  const doc = await generateRegistry({
    devices: num(values.devices, 'devices', 0, 1, 1_000_000),
    prefix: str(values.prefix, 'load'),
    protocolShare: num(values['protocol-share'], 'protocol-share', 0.1, 0, 1),
    linkShare: num(values['link-share'], 'link-share', 0, 0, 1),
    seed: num(values.seed, 'seed', 1, 0, 2 ** 32 - 1),
    passwordTemplate: str(values['password-template'], DEFAULT_PASSWORD_TEMPLATE),
    ...(include ? { include } : {}),
  });
  parseRegistry(doc, 'generated registry'); // what the pipeline will check at start-up
  await writeFile(values.out, `${JSON.stringify(doc, null, 1)}\n`);
  process.stdout.write(`wrote ${values.out}: ${doc.devices.length} devices, ${doc.operators.length} operators (hashed in ${Math.round(performance.now() - started)} ms)\n`);
  return EXIT.ok;
}

async function devicesFromRegistry(path: string) {
  const doc = JSON.parse(await readFile(path, 'utf8')) as { _generated?: LoadDeviceOptions };
  if (!doc._generated) throw new UsageError(`${path} was not made by gen-registry (no _generated section)`);
  parseRegistry(doc, path);
  return loadDevices(doc._generated);
}

function rssKb(pid: number): Promise<number | undefined> {
  return readFile(`/proc/${pid}/status`, 'utf8').then(
    (s) => Number(/VmRSS:\s+(\d+)/.exec(s)?.[1]) || undefined,
    () => undefined,
  );
}

export async function loadCommand(argv: readonly string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      registry: { type: 'string' },
      devices: { type: 'string' },
      prefix: { type: 'string' },
      seed: { type: 'string' },
      url: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      window: { type: 'string' },
      'connect-concurrency': { type: 'string' },
      pid: { type: 'string' },
      json: { type: 'boolean' },
      'password-template': { type: 'string' },
      'link-share': { type: 'string' },
      ...LINK_OPTIONS,
    },
    LOAD_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${LOAD_USAGE}\n`);
    return EXIT.ok;
  }
  const devices = values.registry
    ? await devicesFromRegistry(values.registry)
    : values.devices
      ? loadDevices({ devices: num(values.devices, 'devices', 0, 1, 1_000_000), prefix: str(values.prefix, 'load'), seed: num(values.seed, 'seed', 1), linkShare: num(values['link-share'], 'link-share', 0, 0, 1) })
      : undefined;
  if (!devices) throw new UsageError(`--registry or --devices is required\n\n${LOAD_USAGE}`);
  const rate = num(values.rate, 'rate', 1000, 0, 10_000_000);
  const durationMs = duration(values.duration, 'duration', 30_000);
  const pid = values.pid === undefined ? undefined : num(values.pid, 'pid', 0, 1);
  const rss: number[] = [];
  const sampler = pid === undefined ? undefined : setInterval(() => void rssKb(pid).then((kb) => kb !== undefined && rss.push(kb)), 1000);
  const interrupt = interruptSignal();
  const err = process.stderr;
  let lastLine = 0;
  const url = str(values.url, 'mqtt://127.0.0.1:1883');
  try {
    const result = await runLoad({
      url,
      links: linksFrom(values, url),
      devices,
      password: passwordFrom(str(values['password-template'], DEFAULT_PASSWORD_TEMPLATE)),
      rate,
      durationMs,
      inFlightPerDevice: num(values.window, 'window', 4, 1, 1000),
      connectConcurrency: num(values['connect-concurrency'], 'connect-concurrency', 50, 1, 10_000),
      signal: interrupt.signal,
      onProgress: (p) => {
        const now = Date.now();
        if (now - lastLine < 2000 && p.done !== p.total) return;
        lastLine = now;
        err.write(p.phase === 'connect' ? `connecting ${p.done}/${p.total}\n` : `publishing ${Math.round(p.done / 1000)}s/${Math.round(p.total / 1000)}s, ${p.acked} acknowledged\n`);
      },
    });
    const before = pid === undefined ? undefined : await rssKb(pid);
    if (before !== undefined) rss.push(before);
    const rssMb = rss.length ? { peakMb: Math.max(...rss) / 1024, lastMb: rss[rss.length - 1]! / 1024 } : undefined;
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ...result, rate, durationMs, ...(rssMb ? { pipelineRss: rssMb } : {}) }, null, 1)}\n`);
    } else {
      const l = result.latency;
      const kinds = Object.entries(result.byKind).map(([k, v]) => `${k} ${v}`).join(', ');
      process.stdout.write(
        [
          `devices: ${result.connected}/${result.devices} connected in ${Math.round(result.connectMs)} ms (${result.connectFailures} failed)`,
          `published: ${result.sent} sent, ${result.acked} acknowledged, ${result.failed} failed, ${result.throttled} throttled (window full) in ${(result.elapsedMs / 1000).toFixed(1)} s`,
          `throughput: ${result.ackedPerSec.toFixed(0)} msgs/s acknowledged (target ${rate === 0 ? 'unbounded' : rate})`,
          `PUBACK latency ms: p50 ${l.p50.toFixed(1)}  p90 ${l.p90.toFixed(1)}  p99 ${l.p99.toFixed(1)}  max ${l.max.toFixed(1)}  mean ${l.mean.toFixed(1)}`,
          `by kind: ${kinds}`,
          ...(rssMb ? [`pipeline RSS (pid ${pid}): peak ${rssMb.peakMb.toFixed(0)} MB, at end ${rssMb.lastMb.toFixed(0)} MB`] : []),
        ].join('\n') + '\n',
      );
    }
    return result.connected > 0 && result.failed === 0 ? EXIT.ok : EXIT.different;
  } finally {
    if (sampler) clearInterval(sampler);
    interrupt.dispose();
  }
}
