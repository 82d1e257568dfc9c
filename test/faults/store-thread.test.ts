import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePayload } from '@ganzhi/simulators';
import { STORE_THREAD } from '@ganzhi/store';
import type { MqttClient } from 'mqtt';
import { connect, end, publish } from '../helpers/mqtt';
import { eventually, startPipeline, type RunningPipeline } from '../helpers/pipeline';

/**
 * With GANZHI_DUCKDB_THREAD the DuckDB store runs on a thread of its own. When that thread dies (a bug, memory), the writer
 * meets an outage: its readings stay in the log until a new store thread has opened the file,
 * and then every one of them is stored, once.
 */
let p: RunningPipeline;
let device: MqttClient | undefined;
beforeAll(async () => {
  p = await startPipeline({ env: { GANZHI_DUCKDB_THREAD: 'true' } });
});
afterAll(async () => {
  if (device) await end(device);
  await p.stop();
});

const base = Date.UTC(2026, 2, 1, 8);
const report = (i: number) => {
  const d = p.registry.device('air-001')!;
  return Buffer.from(encodePayload({ device: d, ts: base + i * 60_000, seq: i + 1, sample: { metrics: { pm25: 30 + i }, states: {} } } as Parameters<typeof encodePayload>[0]));
};

describe('the store thread dying', () => {
  it('loses no reading: what arrives while it is gone is stored once a new one runs', async () => {
    device = await connect(p.mqttUrl, 'air-001', undefined, { clientId: 'air-001' });
    for (let i = 0; i < 10; i++) await publish(device, 'devices/air-001/telemetry', report(i));
    await eventually(async () => (await p.store.countReadings('air-001')) === 10, 30_000, 'the first ten readings stored');

    const thread = (p.store as unknown as { [STORE_THREAD]?: Worker })[STORE_THREAD];
    expect(thread, 'the pipeline runs its store on a thread (GANZHI_DUCKDB_THREAD=true)').toBeDefined();
    await thread!.terminate();
    // Every publish still gets its PUBACK: the bus holds the readings, not the store.
    for (let i = 10; i < 20; i++) await publish(device, 'devices/air-001/telemetry', report(i));

    await eventually(async () => (await p.store.countReadings('air-001').catch(() => -1)) === 20, 60_000, 'all twenty readings stored after the restart');
    const rows = await p.store.range({ deviceId: 'air-001', metric: 'pm25', from: base, to: base + 20 * 60_000, bucketMs: 60_000 });
    expect(rows).toHaveLength(20);
  });
});
