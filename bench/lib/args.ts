import { parseArgs } from 'node:util';

export const SECTIONS = ['baseline', 'ingest', 'city', 'hj212', 'alerts', 'faults', 'kafka', 'connections', 'store', 'micro', 'profile', 'soak'] as const;
export type Section = (typeof SECTIONS)[number];
const DEFAULT_SECTIONS: readonly Section[] = ['baseline', 'ingest', 'city', 'hj212', 'alerts', 'faults', 'kafka', 'connections', 'store', 'micro'];

export interface BenchArgs {
  sections: Set<Section>;
  quick: boolean;
  json?: string;
  devices: number;
  connections: number;
  window: number;
  workers: number;
  refRate: number;
  /** Offered rate of the Kafka section's CPU-per-message comparison. */
  kafkaRate: number;
  alertRate: number;
  settleMs: number;
  windowMs: number;
  confirmMs: number;
  maxSteps: number;
  profileRate?: number;
  profileSeconds: number;
  profileOut?: string;
  syncs: ('fsync' | 'write')[];
  /** City rates: seconds per CPU window, and the device counts with their offered rates. */
  city: { seconds: number; alertSeconds: number; fleets: { devices: number; rates: number[] }[] };
  soak: { seconds: number; devices: number; rate: number; days: number };
}

export const USAGE = `usage: npm run bench -- [options]

Bounded end-to-end benchmarks of the embedded pipeline against a bare Aedes broker and Mosquitto,
plus the vitest micro-benchmarks. Prints a table; see bench/README.md for what each figure means.

  --quick                 shorter windows, fewer search steps, 3,000 connections (about 5 min)
  --only <list>           sections, comma-separated: ${SECTIONS.join(', ')}, or all
                          (default: everything but profile and soak); store pairs our DuckDB
                          writer with DuckDB's raw Appender, and our QuestDB writer with the raw
                          client when QUESTDB_URL is set
  --micro                 the micro-benchmarks only (same as --only micro)
  --profile               a CPU profile of the pipeline under the ingest load only (same as --only profile)
  --json <file>           also write every figure as JSON
  --devices <n>           simulated devices for ingest (default 1000, all four kinds)
  --connections <n>       idle connections for the connections section (default 10000)
  --window <n>            unacknowledged QoS 1 publishes per device (default 4)
  --workers <n>           load generator processes (default 2)
  --ref-rate <msgs/s>     the common rate every target is also measured at (default 5000)
  --kafka-rate <msgs/s>   fixed rate of the Kafka section's CPU-per-message comparison, Kafka
                          and embedded pipelines side by side (default 500: below what the mock holds)
  --alert-rate <msgs/s>   offered rate for alert latency (default 10000, capped at 90 % of the
                          pipeline's sustained rate when that is lower)
  --city-seconds <s>      length of each city-rates CPU window (default 20; --quick 10)
  --city-alert-seconds <s> length of each city-rates alert window, 5 red spikes a second (default 60; --quick 10)
  --city-devices <list>   city-rates fleets as devices:rate/rate..., comma-separated
                          (default 1000:0/100/1000,10000:0/100)
  --sync <list>           embedded bus sync modes for ingest: fsync,write (default both)
  --profile-rate <msgs/s> rate for --profile (default: the pipeline's sustained rate, searched first)
  --profile-seconds <s>   profiled window (default 20)
  --profile-out <file>    also save the .cpuprofile (open it in Chrome DevTools)
  --soak                  the soak only (same as --only soak): a month of device time compressed
                          into minutes with short retention; area bytes and RSS over time, start time
  --soak-seconds <s>      wall-clock length of the soak load (default 300)
  --soak-devices <n>      devices of the soak (default 100)
  --soak-rate <msgs/s>    publishes per second of the soak (default 500)
  --soak-days <n>         device days the soak covers (default 30)`;

function int(v: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer ${min}..${max}: ${v}`);
  return n;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      help: { type: 'boolean', short: 'h' },
      quick: { type: 'boolean' },
      only: { type: 'string' },
      micro: { type: 'boolean' },
      profile: { type: 'boolean' },
      json: { type: 'string' },
      devices: { type: 'string' },
      connections: { type: 'string' },
      window: { type: 'string' },
      workers: { type: 'string' },
      'ref-rate': { type: 'string' },
      'kafka-rate': { type: 'string' },
      'alert-rate': { type: 'string' },
      sync: { type: 'string' },
      'city-seconds': { type: 'string' },
      'city-alert-seconds': { type: 'string' },
      'city-devices': { type: 'string' },
      'profile-rate': { type: 'string' },
      'profile-seconds': { type: 'string' },
      'profile-out': { type: 'string' },
      soak: { type: 'boolean' },
      'soak-seconds': { type: 'string' },
      'soak-devices': { type: 'string' },
      'soak-rate': { type: 'string' },
      'soak-days': { type: 'string' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const quick = values.quick === true;
  let sections: Section[];
  if (values.only !== undefined) {
    const names = values.only.split(',').map((s) => s.trim()).filter(Boolean);
    sections = names.includes('all') ? [...SECTIONS] : (names as Section[]);
    const bad = sections.filter((s) => !SECTIONS.includes(s));
    if (bad.length) throw new Error(`--only: unknown section(s) ${bad.join(', ')}; known: ${SECTIONS.join(', ')}, all`);
  } else sections = [...DEFAULT_SECTIONS];
  if (values.micro || values.profile || values.soak) {
    sections = values.only !== undefined ? sections : [];
    if (values.micro) sections.push('micro');
    if (values.profile) sections.push('profile');
    if (values.soak) sections.push('soak');
  }
  const syncs = (values.sync ?? 'fsync,write').split(',').map((s) => s.trim());
  if (syncs.some((s) => s !== 'fsync' && s !== 'write') || syncs.length === 0) throw new Error(`--sync must list fsync and/or write: ${values.sync}`);
  const profileRate = values['profile-rate'] === undefined ? undefined : int(values['profile-rate'], 'profile-rate', 0, 100, 1_000_000);
  return {
    sections: new Set(sections),
    quick,
    ...(values.json !== undefined ? { json: values.json } : {}),
    devices: int(values.devices, 'devices', 1000, 4, 100_000),
    connections: int(values.connections, 'connections', quick ? 3000 : 10_000, 10, 60_000),
    window: int(values.window, 'window', 4, 1, 500),
    workers: int(values.workers, 'workers', 2, 1, 16),
    refRate: int(values['ref-rate'], 'ref-rate', 5000, 0, 1_000_000),
    kafkaRate: int(values['kafka-rate'], 'kafka-rate', 500, 50, 1_000_000),
    alertRate: int(values['alert-rate'], 'alert-rate', 10_000, 100, 1_000_000),
    settleMs: quick ? 1000 : 1500,
    windowMs: quick ? 3000 : 5000,
    confirmMs: quick ? 8000 : 15_000,
    maxSteps: quick ? 3 : 5,
    ...(profileRate !== undefined ? { profileRate } : {}),
    profileSeconds: int(values['profile-seconds'], 'profile-seconds', quick ? 10 : 20, 2, 300),
    ...(values['profile-out'] !== undefined ? { profileOut: values['profile-out'] } : {}),
    syncs: syncs as ('fsync' | 'write')[],
    city: {
      seconds: int(values['city-seconds'], 'city-seconds', quick ? 10 : 20, 2, 600),
      alertSeconds: int(values['city-alert-seconds'], 'city-alert-seconds', quick ? 10 : 60, 2, 600),
      fleets: parseCityFleets(values['city-devices'] ?? '1000:0/100/1000,10000:0/100'),
    },
    soak: {
      seconds: int(values['soak-seconds'], 'soak-seconds', 300, 10, 86_400),
      devices: int(values['soak-devices'], 'soak-devices', 100, 1, 10_000),
      rate: int(values['soak-rate'], 'soak-rate', 500, 1, 100_000),
      days: int(values['soak-days'], 'soak-days', 30, 1, 3650),
    },
  };
}

/** `1000:0/100/1000,10000:0/100` -> fleets of devices with their offered rates. */
export function parseCityFleets(spec: string): { devices: number; rates: number[] }[] {
  return spec.split(',').map((part) => {
    const m = /^\s*(\d+):(\d+(?:\/\d+)*)\s*$/.exec(part);
    if (!m) throw new Error(`--city-devices: expected devices:rate/rate..., got "${part}"`);
    const devices = int(m[1], 'city-devices', 0, 1, 100_000);
    return { devices, rates: (m[2] as string).split('/').map((r) => int(r, 'city-devices', 0, 0, 1_000_000)) };
  });
}
