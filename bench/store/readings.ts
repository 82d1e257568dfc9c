import type { DeviceKind, Reading } from '@ganzhi/schemas';

/** The store benches' readings: 500 devices of the four kinds, 4-6 metrics each. */
export const KIND_METRICS: Record<DeviceKind, readonly string[]> = {
  river_gauge: ['water_level', 'rain_1h', 'flow', 'battery'],
  air_monitor: ['pm25', 'pm10', 'no2', 'o3', 'so2', 'co'],
  fire_sensor: ['smoke', 'temperature', 'residual_current', 'pressure', 'cable_temp'],
  port_device: ['wind_speed', 'wind_dir', 'load', 'reefer_temp'],
};
const KIND_LIST = Object.keys(KIND_METRICS) as DeviceKind[];
export const DEVICES = 500;

/** Reading number i of producer p: device i % DEVICES, one second apart per device, p ms apart per producer. */
export function benchReading(i: number, t0: number, p = 0): Reading {
  const d = i % DEVICES;
  const kind = KIND_LIST[d % KIND_LIST.length] ?? 'river_gauge';
  const ts = t0 + Math.floor(i / DEVICES) * 1000 + p;
  const metrics: Reading['metrics'] = {};
  for (const m of KIND_METRICS[kind]) metrics[m] = { value: (i % 97) + d / 10, unit: 'u', quality: 'N' };
  return { deviceId: `dev-${String(d).padStart(4, '0')}`, kind, site: `site-${d % 7}`, ts, metrics, sourceId: `s${i}`, receivedAt: ts };
}

export function rowsOf(batch: readonly Reading[]): number {
  let n = 0;
  for (const r of batch) for (const m in r.metrics) if (r.metrics[m] !== undefined) n++;
  return n;
}

/** One side of a pair: rows/s over the time spent writing, and process CPU (all threads) per row. */
export interface SideResult {
  rows: number;
  rowsPerSec: number;
  cpuUsPerRow: number;
}

export interface PairRow {
  store: 'DuckDB' | 'QuestDB';
  /** What the row measures (batch size, producers, settings). */
  shape: string;
  ours: SideResult;
  raw: SideResult;
}

/**
 * Runs `write` for `seconds` of write time with one producer: generates a batch (not timed, its
 * CPU subtracted), writes it and awaits it, as the writer stage acks a bus batch.
 */
export async function timedWrites(seconds: number, batchSize: number, t0: number, start: number, write: (batch: Reading[]) => Promise<void>): Promise<SideResult & { next: number }> {
  let next = start;
  let rows = 0;
  let writeMs = 0;
  let genUs = 0;
  const cpu0 = process.cpuUsage();
  while (writeMs < seconds * 1000) {
    const g = process.cpuUsage();
    const batch = Array.from({ length: batchSize }, () => benchReading(next++, t0));
    const n = rowsOf(batch);
    const gd = process.cpuUsage(g);
    genUs += gd.user + gd.system;
    const t = performance.now();
    await write(batch);
    writeMs += performance.now() - t;
    rows += n;
  }
  const cpu = process.cpuUsage(cpu0);
  return { rows, rowsPerSec: rows / (writeMs / 1000), cpuUsPerRow: (cpu.user + cpu.system - genUs) / rows, next };
}

/** Two runs of one side as one: rows over their summed write time, CPU weighted by rows. */
export function mergeSides(a: SideResult, b: SideResult): SideResult {
  const rows = a.rows + b.rows;
  const secs = a.rows / a.rowsPerSec + b.rows / b.rowsPerSec;
  return { rows, rowsPerSec: rows / secs, cpuUsPerRow: (a.cpuUsPerRow * a.rows + b.cpuUsPerRow * b.rows) / rows };
}
