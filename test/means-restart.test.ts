import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, end, publish } from './helpers/mqtt';
import { eventually, startPipeline, type RunningPipeline } from './helpers/pipeline';

let p: RunningPipeline | undefined;
let dir = '';
afterAll(async () => {
  await p?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const HOUR = 3_600_000;

async function send(run: RunningPipeline, values: readonly [number, number][]) {
  const air = await connect(run.mqttUrl, 'air-001');
  try {
    for (const [ts, pm25] of values) await publish(air, 'devices/air-001/telemetry', JSON.stringify({ ts, pm25 }));
  } finally {
    await end(air);
  }
}

describe('derived means', () => {
  it('survive a restart: an hour half-averaged before it is completed after it, and its mean is stored once', async () => {
    // the previous full hour (China and UTC hours coincide), every 5 minutes; the closer at its end
    const h0 = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
    const values = Array.from({ length: 12 }, (_, i) => [h0 + i * 300_000, 20 + 10 * i] as [number, number]);
    p = await startPipeline();
    dir = p.dir;
    await send(p, values.slice(0, 6));
    await eventually(() => p!.pipeline.rules.stats().readings >= 6);
    await p.stop(true);

    p = await startPipeline({ dir });
    await send(p, [...values.slice(6), [h0 + HOUR, 10]]);
    const row = await eventually(async () => (await p!.store.latest({ deviceId: 'air-001', metric: 'pm25_1h' }))[0]);
    expect(row).toMatchObject({ ts: h0, value: 75, unit: 'ug/m3' }); // (20 + 30 + ... + 130) / 12
    const range = await p.store.range({ deviceId: 'air-001', metric: 'pm25_1h', from: h0 - HOUR, to: h0 + 2 * HOUR, bucketMs: HOUR });
    expect(range).toEqual([{ ts: h0, avg: 75, min: 75, max: 75, last: 75, count: 1 }]);
  });
});
