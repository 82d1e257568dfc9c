/**
 * `npm run bench`: bounded end-to-end benchmarks of the embedded pipeline beside a bare Aedes
 * broker and Mosquitto, with the same load generator (separate processes), then the vitest
 * micro-benchmarks. Progress goes to stderr, the table to stdout, `--json <file>` writes it all.
 * Every child (brokers, pipelines, load workers, Kafka peer) is stopped by pid, also on Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeConfigSchema, duckdbLingerMs } from '@ganzhi/runtime';
import { TOPIC_NAMES } from '@ganzhi/schemas';
import { USAGE, parseBenchArgs, type BenchArgs } from './lib/args';
import { writeBenchRegistry, type BenchRegistry } from './lib/registry';
import { formatReport, type BenchReport } from './lib/report';
import { runCity, warmUp } from './scenarios/city';
import { runCost } from './scenarios/cost';
import { MOSQUITTO_BIN, startAedes, startMosquitto, startPipeline, type Target } from './lib/targets';
import { loadDevices } from '@ganzhi/simulators';
import { deviceSpecs, type DeviceSpec } from './load/devices';
import { startFleet, type Fleet } from './load/fleet';
import { runAlertLatency } from './scenarios/alerts';
import { runConnections } from './scenarios/connections';
import { runFaults } from './scenarios/faults';
import { runHj212Tcp } from './scenarios/hj212';
import { runIngest, type IngestOptions, type IngestResult } from './scenarios/ingest';
import { drain, sustained } from './scenarios/measure';
import { runMicro } from './scenarios/micro';
import { runProfile } from './scenarios/profile';
import { runSoak } from './scenarios/soak';
import { runStorePairs } from './scenarios/store';

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Stoppers of whatever is running, for Ctrl-C. */
const running = new Set<() => Promise<void>>();
async function guarded<T>(stop: () => Promise<void>, body: () => Promise<T>): Promise<T> {
  running.add(stop);
  try {
    return await body();
  } finally {
    running.delete(stop);
    await stop();
  }
}

function machine(): BenchReport['machine'] {
  const model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown CPU';
  let cores = cpus().length;
  try {
    cores = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || cores;
  } catch {
    /* nproc missing: os.cpus() */
  }
  return { cpu: model, cores, node: process.version, kernel: `Linux ${release()}`, loadavgAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '), date: new Date().toISOString() };
}

function openFilesLimit(): number {
  const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m?.[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m?.[1] ?? 1024);
}

/** Starts a target, connects a fleet to it, runs `body`, and always stops both. */
async function withFleet<T>(start: () => Promise<Target>, devices: readonly DeviceSpec[], a: BenchArgs, body: (t: Target, f: Fleet) => Promise<T>): Promise<T> {
  const target = await start();
  return guarded(
    () => target.stop(),
    async () => {
      const fleet = await startFleet(devices, a.workers);
      return guarded(
        () => fleet.close(),
        async () => {
          const c = await fleet.connect(target, a.window);
          log(`  ${target.name} (pid ${target.pid}): ${c.connected}/${devices.length} devices connected in ${(c.ms / 1000).toFixed(1)} s${c.busyRetries ? ` (${c.busyRetries} busy answers retried)` : ''}${c.failed ? `, ${c.failed} failed: ${c.firstError}` : ''}`);
          if (c.connected === 0) throw new Error(`${target.name}: no device could connect: ${c.firstError ?? 'unknown'}`);
          return body(target, fleet);
        },
      );
    },
  );
}

async function main(argv: readonly string[]): Promise<number> {
  let a: BenchArgs;
  try {
    const parsed = parseBenchArgs(argv);
    if (parsed === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    a = parsed;
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`);
    return 2;
  }
  const t0 = performance.now();
  const has = (s: Parameters<typeof a.sections.has>[0]) => a.sections.has(s);
  const report: BenchReport = {
    machine: machine(),
    config: { devices: a.devices, window: a.window, workers: a.workers, settleMs: a.settleMs, windowMs: a.windowMs, refRate: a.refRate, quick: a.quick, sections: [...a.sections] },
    ingest: [],
    notes: [],
    seconds: 0,
  };
  const dir = await mkdtemp(join(tmpdir(), 'ganzhi-bench-'));
  const ingestOptions: IngestOptions = { settleMs: a.settleMs, windowMs: a.windowMs, confirmMs: a.confirmMs, maxSteps: a.maxSteps, refRate: a.refRate, log };
  /** One section; a failure is reported and the run goes on with the next. */
  const section = async (name: string, body: () => Promise<void>) => {
    try {
      await body();
    } catch (err) {
      if (interrupted) throw err;
      const msg = err instanceof Error ? err.message : String(err);
      report.notes.push(`${name} failed: ${msg}`);
      log(`${name} FAILED: ${msg}`);
    }
  };
  try {
    let connections = a.connections;
    if (has('connections')) {
      const limit = openFilesLimit();
      if (limit < connections + 512) {
        connections = Math.max(100, limit - 512);
        report.notes.push(`open-files limit (ulimit -n) is ${limit}: connections capped at ${connections}; raise it (ulimit -n ${a.connections + 1024}) for the full run`);
      }
    }
    const needRegistry = ['ingest', 'city', 'alerts', 'faults', 'kafka', 'connections', 'profile', 'soak'].some((s) => a.sections.has(s as never));
    let reg: BenchRegistry | undefined;
    if (needRegistry) {
      const n = Math.max(has('ingest') || has('alerts') || has('kafka') || has('profile') ? a.devices : 0, has('faults') ? 51 : 0, has('connections') ? connections : 0, has('city') ? Math.max(...a.city.fleets.map((f) => f.devices)) : 0, has('soak') ? a.soak.devices : 0);
      const t = performance.now();
      reg = await writeBenchRegistry(dir, n);
      log(`registry: ${n} devices + 1 operator (scrypt N=1024) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const devices = reg?.devices.slice(0, a.devices) ?? [];
    const pipelineOptions = (name: string, sub: string) => ({ name, dataDir: join(dir, sub), registryFile: reg!.file, operator: reg!.operator });

    if (has('baseline')) await section('baseline', async () => {
      log('baseline: bare Aedes');
      report.ingest.push(await withFleet(startAedes, devices.length ? devices : await fallbackDevices(a), a, (t, f) => runIngest(t, f, ingestOptions)));
      const mosq = await startMosquitto(dir).catch((err: unknown) => {
        report.notes.push(`Mosquitto failed to start: ${String(err)}`);
        return undefined;
      });
      if (mosq) {
        log('baseline: Mosquitto');
        report.ingest.push(await withFleet(async () => mosq, devices.length ? devices : await fallbackDevices(a), a, (t, f) => runIngest(t, f, ingestOptions)));
      } else if (!MOSQUITTO_BIN) report.notes.push('Mosquitto is not installed: no Mosquitto baseline');
    });

    let fsyncResult: IngestResult | undefined;
    const alertSync = a.syncs.includes('fsync') ? 'fsync' : a.syncs[0]!;
    for (const sync of a.syncs) {
      const doAlerts = has('alerts') && sync === alertSync;
      if (!has('ingest') && !doAlerts) continue;
      log(`pipeline, embedded bus, GANZHI_BUS_SYNC=${sync}`);
      await section(`pipeline (${sync})`, () => withFleet(() => startPipeline({ ...pipelineOptions(`pipeline (${sync})`, `data-${sync}`), sync }), devices, a, async (t, f) => {
        // Alert latency needs the sustained rate: the search runs for it even under --only alerts.
        const r = await runIngest(t, f, ingestOptions);
        report.ingest.push(r);
        if (sync === 'fsync') fsyncResult = r;
        const sustainedRate = r.sustained?.acked;
        if (doAlerts) {
          // 80 % of the sustained rate at most: the spikes add alert work and the window is
          // longer than the search's. Also at the common reference rate, well below capacity.
          const high = Math.round(Math.min(a.alertRate, sustainedRate ? 0.8 * sustainedRate : a.alertRate));
          if (high < a.alertRate) report.notes.push(`alert latency offered ${high} msg/s: 80 % of the pipeline's sustained rate, which is below --alert-rate ${a.alertRate}`);
          const rates = [...new Set([a.refRate, high].filter((r) => r > 0 && r <= high))].sort((x, y) => x - y);
          report.alerts = [];
          for (const rate of rates) {
            log(`alert latency at ${rate} msg/s`);
            const al = await runAlertLatency(t, f, reg!.operator, { rate, spikesPerSec: 20, seconds: a.quick ? 10 : 20, settleMs: 3000, graceMs: 5000, log });
            report.alerts.push(al);
            if (!sustained(al.window)) report.notes.push(`alert latency at ${rate} msg/s: the pipeline did not hold the rate during the alert window (backlog ${al.window.backlogStart} -> ${al.window.backlogEnd}): its latencies include that queueing`);
            await drain(t, f);
          }
        }
      }));
      await rm(join(dir, `data-${sync}`), { recursive: true, force: true });
    }

    if (has('city')) await section('city', async () => {
      report.city = [];
      // The batching windows the pipeline runs with (its defaults unless set in this environment).
      const busLingerMs = RuntimeConfigSchema.shape.GANZHI_BUS_LINGER_MS.parse(process.env.GANZHI_BUS_LINGER_MS);
      const duckdb = duckdbLingerMs({ GANZHI_DUCKDB_LINGER_MS: RuntimeConfigSchema.shape.GANZHI_DUCKDB_LINGER_MS.parse(process.env.GANZHI_DUCKDB_LINGER_MS), GANZHI_BUS: 'embedded' });
      report.cityWindows = { busLingerMs, duckdbLingerMs: duckdb };
      for (const { devices: n, rates } of a.city.fleets) {
        const fleetDevices = reg!.devices.slice(0, n);
        for (const [name, start] of [
          ['pipeline (fsync)', () => startPipeline({ ...pipelineOptions('pipeline (fsync)', `data-city-${n}`), sync: 'fsync' })],
          ['bare Aedes', startAedes],
        ] as const) {
          log(`city rates: ${name}, ${n} devices, ${rates.join('/')} msg/s`);
          await withFleet(start, fleetDevices, a, async (t, f) => {
            await warmUp(t, f, Math.max(100, ...rates), a.quick ? 5_000 : 15_000, log);
            for (const rate of rates) {
              report.city!.push(await runCity(t, f, n, rate, { seconds: a.city.seconds, settleMs: 3000, spikesPerSec: 5, alertSeconds: a.city.alertSeconds, log, ...(t.counters ? { operator: reg!.operator } : {}) }));
            }
          });
          await rm(join(dir, `data-city-${n}`), { recursive: true, force: true });
        }
      }
    });

    if (has('faults')) await section('faults', async () => {
      log('faults: a well-behaved device beside a wrong-password flood and a frozen subscriber');
      const target = await startPipeline({ ...pipelineOptions('pipeline (fsync)', 'data-faults'), sync: 'fsync' });
      await guarded(
        () => target.stop(),
        async () => {
          report.faults = await runFaults(target, reg!.devices.slice(0, 51), { seconds: a.quick ? 10 : 20, probeRate: 50, operator: reg!.operator, log });
        },
      );
      await rm(join(dir, 'data-faults'), { recursive: true, force: true });
    });

    if (has('hj212')) await section('hj212', async () => {
      const n = Math.max(1, Math.min(a.devices, 500));
      log(`HJ 212 over TCP beside MQTT JSON: ${n} air monitors each way, window ${a.window}`);
      report.hj212 = await runHj212Tcp(
        { dir, connections: n, window: a.window, seconds: Math.max(1, Math.round(a.windowMs / 1000)), settleMs: a.settleMs, log },
        { name: 'pipeline (fsync, HJ 212)', dataDir: join(dir, 'data-hj212'), sync: 'fsync' },
      );
      await rm(join(dir, 'data-hj212'), { recursive: true, force: true });
    });

    if (has('kafka')) await section('kafka', async () => {
      const { startKafkaPeer } = await import('@ganzhi/testkit');
      log('Kafka peer: starting');
      const start = await startKafkaPeer({ topics: TOPIC_NAMES, partitions: 12 });
      if (!start.peer) {
        report.kafka = { skipped: `no Kafka peer: ${start.reason}` };
        log(`KAFKA skipped: ${start.reason}`);
      } else {
        const peer = start.peer;
        const kafka: NonNullable<BenchReport['kafka']> = { peer: peer.description, cost: [] };
        report.kafka = kafka;
        log(`pipeline on Kafka: ${peer.description}`);
        // The mock's pid is in its description; a peer elsewhere (KAFKA_BROKERS) is not measured.
        const peerPid = peer.kind === 'mock' ? Number(/pid (\d+)/.exec(peer.description)?.[1]) || undefined : undefined;
        const costOptions = { settleMs: a.settleMs, windowMs: 2 * a.windowMs, log, ...(peerPid !== undefined ? { peerPid } : {}) };
        await guarded(
          () => peer.stop(),
          async () => {
            try {
              await withFleet(() => startPipeline({ ...pipelineOptions(`pipeline (kafka ${peer.kind})`, 'data-kafka'), kafkaBrokers: peer.brokers }), devices, a, async (t, f) => {
                log(`  CPU per message at ${a.kafkaRate} msg/s`);
                kafka.cost!.push(await runCost(t, f, a.kafkaRate, costOptions));
                // Fewer search steps: the Kafka peer shares the two cores and drains slowly.
                report.ingest.push(await runIngest(t, f, { ...ingestOptions, maxSteps: Math.min(3, ingestOptions.maxSteps) }));
              });
            } catch (err) {
              kafka.skipped = `the pipeline on Kafka failed: ${err instanceof Error ? err.message : String(err)}`;
            }
          },
        );
        log(`embedded pipeline at the same ${a.kafkaRate} msg/s, for comparison`);
        await withFleet(() => startPipeline({ ...pipelineOptions('pipeline (embedded fsync)', 'data-kafka-ref'), sync: 'fsync' }), devices, a, async (t, f) => {
          kafka.cost!.push(await runCost(t, f, a.kafkaRate, { settleMs: a.settleMs, windowMs: 2 * a.windowMs, log }));
        });
        await rm(join(dir, 'data-kafka-ref'), { recursive: true, force: true });
      }
    });

    if (has('connections')) await section('connections', async () => {
      log(`connections: ${connections} idle devices per target`);
      const all = reg!.devices.slice(0, connections);
      const o = { workers: a.workers, concurrency: 200, idleMs: 3000, log };
      report.connections = [await runConnections(() => startPipeline({ ...pipelineOptions('pipeline (fsync)', 'data-conn'), sync: 'fsync' }), all, o)];
      await rm(join(dir, 'data-conn'), { recursive: true, force: true });
      report.connections.push(await runConnections(startAedes, all, o));
      if (MOSQUITTO_BIN) {
        const mosq = await startMosquitto(dir);
        if (mosq) report.connections.push(await runConnections(async () => mosq, all, o));
      }
    });

    if (has('store')) await section('store', async () => {
      log('store writers beside the raw clients');
      report.store = await runStorePairs({ seconds: a.quick ? 2 : 6, env: process.env, log });
      if (report.store.questdbSkipped) log(`  QuestDB pair skipped: ${report.store.questdbSkipped}`);
    });

    if (has('micro')) {
      log('micro-benchmarks: vitest bench bench/*.bench.ts');
      report.micro = await runMicro(dir, 300_000);
    }

    if (has('profile')) await section('profile', async () => {
      let rate = a.profileRate;
      if (rate === undefined && !fsyncResult) {
        log('profile: finding the pipeline (fsync) sustained rate first');
        fsyncResult = await withFleet(() => startPipeline({ ...pipelineOptions('pipeline (fsync)', 'data-search'), sync: 'fsync' }), devices, a, (t, f) =>
          runIngest(t, f, { ...ingestOptions, refRate: 0 }),
        );
        report.ingest.push(fsyncResult);
      }
      rate ??= fsyncResult?.sustained ? Math.round(0.95 * fsyncResult.sustained.acked) : undefined;
      if (rate === undefined) report.profile = { skipped: 'the pipeline sustained no rate to profile at (give --profile-rate)' };
      else {
        log(`profile: pipeline (fsync) at ${rate} msg/s for ${a.profileSeconds} s`);
        report.profile = await runProfile({ ...pipelineOptions('pipeline (fsync, profiled)', 'data-profile'), sync: 'fsync' }, devices, {
          rate,
          window: a.window,
          settleMs: 3000,
          seconds: a.profileSeconds,
          workers: a.workers,
          ...(a.profileOut ? { out: a.profileOut } : {}),
          log,
        });
      }
    });

    if (has('soak')) await section('soak', async () => {
      report.soak = await runSoak({
        dataDir: join(dir, 'data-soak'),
        registryFile: reg!.file,
        operator: reg!.operator,
        devices: reg!.devices.slice(0, a.soak.devices),
        seconds: a.soak.seconds,
        deviceDays: a.soak.days,
        rate: a.soak.rate,
        sampleMs: Math.max(2000, Math.round((a.soak.seconds * 1000) / 30)),
        log,
      });
      await rm(join(dir, 'data-soak'), { recursive: true, force: true });
    });

    for (const r of report.ingest) {
      const s = r.sustained;
      if (!s) continue;
      if (r.method === 'unconfirmed') {
        const other = Math.max(...r.steps.filter((w) => w.role === 'confirm').map((w) => w.otherCpu));
        report.notes.push(`${r.target}: the searched rate did not hold in the longer confirmation windows (other processes used up to ${other.toFixed(2)} cores then): treat it as an upper bound`);
      }
      if (s.loadCpu > 0.85 * a.workers) report.notes.push(`${r.target}: the load generator used ${s.loadCpu.toFixed(2)} of ${a.workers} cores: it may be the bottleneck`);
      if (s.targetCpu + s.loadCpu + s.otherCpu > 0.9 * report.machine.cores)
        report.notes.push(`${r.target}: the machine was CPU-bound at the sustained rate (target ${s.targetCpu.toFixed(2)} + load ${s.loadCpu.toFixed(2)} + other ${s.otherCpu.toFixed(2)} cores of ${report.machine.cores})`);
    }
  } finally {
    for (const stop of [...running].reverse()) await stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
  report.seconds = (performance.now() - t0) / 1000;
  process.stdout.write(`${formatReport(report)}\n`);
  if (a.json) {
    await writeFile(a.json, `${JSON.stringify(report, null, 1)}\n`);
    log(`wrote ${a.json}`);
  }
  return 0;
}

/** Devices for a baseline-only run (no registry needed: the brokers take anonymous clients). */
async function fallbackDevices(a: BenchArgs): Promise<DeviceSpec[]> {
  return deviceSpecs(loadDevices({ devices: a.devices, prefix: 'bench', protocolShare: 0, seed: 7 }), (id) => `demo-${id}`);
}

let interrupted = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (interrupted) process.exit(130);
  interrupted = true;
  log(`bench: ${signal}, stopping children`);
  void Promise.all([...running].map((stop) => stop().catch(() => undefined))).then(() => process.exit(130));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    for (const stop of [...running].reverse()) await stop().catch(() => undefined);
    process.exit(1);
  },
);
