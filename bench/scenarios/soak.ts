import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { bytesOnDisk, dataDirAreas } from '@ganzhi/runtime';
import type { DeviceSpec } from '../load/devices';
import { memoryMb } from '../lib/proc';
import { startPipeline, type Target } from '../lib/targets';

const DAY = 86_400_000;
const SOAK_MAIN = fileURLToPath(new URL('./soak-pipeline.ts', import.meta.url));

export interface SoakOptions {
  dataDir: string;
  registryFile: string;
  operator: { readonly user: string; readonly password: string };
  devices: readonly DeviceSpec[];
  /** Wall-clock length of the load. */
  seconds: number;
  /** Device time the load covers (default 30 days). */
  deviceDays: number;
  /** Messages per second over all devices. */
  rate: number;
  /** How often the areas and RSS are sampled. */
  sampleMs: number;
  log: (line: string) => void;
}

export interface SoakSample {
  wallS: number;
  deviceDay: number;
  /** Bytes on disk per area (bus state, bus topics, store). */
  areas: Record<string, number>;
  rssMb: number;
  acked: number;
}

export interface SoakResult {
  retention: Record<string, string>;
  speed: number;
  samples: SoakSample[];
  firstStartMs: number;
  restartMs: number;
  acked: number;
  refused: number;
}

/** Short retention for a month compressed into minutes: raw 2 days, minutes a week, hours the month. */
export const SOAK_RETENTION = {
  GANZHI_RETENTION_RAW: '2d',
  GANZHI_RETENTION_ROLLUP_1M: '7d',
  GANZHI_RETENTION_ROLLUP_1H: '30d',
  GANZHI_STORE_MAINTENANCE_CRON: '*/5 * * * * *',
} as const;

function connectDevice(t: Target, d: DeviceSpec): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect({ host: t.host, port: t.port, username: d.id, password: d.password, clientId: `${d.id}-soak`, reconnectPeriod: 500, connectTimeout: 10_000 });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

/**
 * A month of device time in a few minutes: devices publish QoS 1 telemetry whose timestamps run
 * `deviceDays` in `seconds`, the pipeline (its own process) retires and rolls up on that device
 * clock, and every `sampleMs` the bytes of each area and the pipeline's RSS are recorded. At the
 * end the pipeline is stopped and started again on the same data: the start time.
 */
export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  await mkdir(o.dataDir, { recursive: true });
  const clockFile = join(o.dataDir, 'soak-clock.json');
  await rm(clockFile, { force: true });
  const speed = (o.deviceDays * DAY) / (o.seconds * 1000);
  const env = { ...SOAK_RETENTION, SOAK_CLOCK_FILE: clockFile, GANZHI_DISK_MIN_FREE: '0B' };
  const opts = { name: 'pipeline (soak)', dataDir: o.dataDir, registryFile: o.registryFile, operator: o.operator, sync: 'write' as const, main: SOAK_MAIN, env };
  let t0 = performance.now();
  let target = await startPipeline(opts);
  const firstStartMs = performance.now() - t0;
  // The device clock starts now, in both processes: a month from here in `seconds`.
  const wallT0 = Date.now();
  const deviceNow = () => Math.round(wallT0 + (Date.now() - wallT0) * speed);
  await writeFile(clockFile, JSON.stringify({ wallT0, deviceT0: wallT0, speed }));
  o.log(`soak: pipeline pid ${target.pid} up in ${firstStartMs.toFixed(0)} ms; ${o.deviceDays} device days in ${o.seconds} s (x${Math.round(speed)}), ${o.rate} msg/s over ${o.devices.length} devices`);
  const clients = await Promise.all(o.devices.map((d) => connectDevice(target, d)));
  const samples: SoakSample[] = [];
  let acked = 0;
  let refused = 0;
  let inflight = 0;
  const areas = dataDirAreas(o.dataDir);
  const sample = async () => {
    const s: SoakSample = { wallS: (Date.now() - wallT0) / 1000, deviceDay: (deviceNow() - wallT0) / DAY, areas: {}, rssMb: memoryMb(target.pid)?.rss ?? NaN, acked };
    for (const [name, paths] of Object.entries(areas)) {
      let sum = 0;
      for (const p of paths) sum += await bytesOnDisk(p);
      s.areas[name] = sum;
    }
    samples.push(s);
    o.log(`  t=${s.wallS.toFixed(0)} s  day ${s.deviceDay.toFixed(1)}  ${Object.entries(s.areas).map(([k, v]) => `${k} ${(v / 1e6).toFixed(1)} MB`).join('  ')}  RSS ${s.rssMb.toFixed(0)} MB  acked ${acked}`);
  };
  try {
    await sample();
    const tickMs = 100;
    const perTick = Math.max(1, Math.round((o.rate * tickMs) / 1000));
    const maxInflight = 4 * clients.length;
    let next = 0;
    const end = wallT0 + o.seconds * 1000;
    let nextSample = Date.now() + o.sampleMs;
    // Bounded: ends at `end`, at most perTick publishes per tick and maxInflight unacknowledged.
    while (Date.now() < end) {
      for (let i = 0; i < perTick && inflight < maxInflight; i++) {
        const k = next++ % clients.length;
        const d = o.devices[k] as DeviceSpec;
        inflight++;
        (clients[k] as MqttClient).publish(d.topic, `{"ts":${deviceNow()}${d.suffix}`, { qos: 1 }, (err) => {
          inflight--;
          if (err) refused++;
          else acked++;
        });
      }
      if (Date.now() >= nextSample) {
        await sample();
        nextSample += o.sampleMs;
      }
      await new Promise((r) => setTimeout(r, tickMs));
    }
    await sample();
  } finally {
    await Promise.all(clients.map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
  }
  await target.stop();
  // Restarted, the pipeline reads the clock file again: device time goes on from where it was.
  await writeFile(clockFile, JSON.stringify({ wallT0, deviceT0: wallT0, speed }));
  t0 = performance.now();
  target = await startPipeline(opts);
  const restartMs = performance.now() - t0;
  o.log(`soak: restart on the same data took ${restartMs.toFixed(0)} ms`);
  await target.stop();
  return { retention: { ...SOAK_RETENTION }, speed, samples, firstStartMs, restartMs, acked, refused };
}

/** The soak's table: each area's bytes and the RSS over time, then the start times. */
export function formatSoak(r: SoakResult): string {
  const names = Object.keys(r.samples[0]?.areas ?? {});
  const lines = [
    `Soak: a month of device time (x${Math.round(r.speed)}), retention ${Object.entries(r.retention).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    '',
    `| wall s | device day | ${names.map((n) => `${n} MB`).join(' | ')} | RSS MB | acked |`,
    `|---:|---:|${names.map(() => '---:').join('|')}|---:|---:|`,
    ...r.samples.map((s) => `| ${s.wallS.toFixed(0)} | ${s.deviceDay.toFixed(1)} | ${names.map((n) => ((s.areas[n] ?? 0) / 1e6).toFixed(1)).join(' | ')} | ${s.rssMb.toFixed(0)} | ${s.acked} |`),
    '',
    `start: ${r.firstStartMs.toFixed(0)} ms fresh, ${r.restartMs.toFixed(0)} ms on the soaked data; ${r.acked} publishes acknowledged, ${r.refused} failed`,
  ];
  return lines.join('\n');
}
