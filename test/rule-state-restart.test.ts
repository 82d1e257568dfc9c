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

async function lowBattery(run: RunningPipeline, ts: number) {
  const gauge = await connect(run.mqttUrl, 'gauge-001');
  try {
    await publish(gauge, 'devices/gauge-001/telemetry', JSON.stringify({ ts, batteryV: 10.9 }));
  } finally {
    await end(gauge);
  }
}

describe('rule state', () => {
  it('survives a restart: "3 readings in a row" counts readings from before and after it', async () => {
    const t0 = Date.now();
    p = await startPipeline();
    dir = p.dir;
    await lowBattery(p, t0);
    await lowBattery(p, t0 + 60_000);
    await eventually(async () => (await p!.store.latest({ deviceId: 'gauge-001', metric: 'batteryV' })).find((r) => r.ts === t0 + 60_000));
    await eventually(() => p!.pipeline.rules.stats().readings >= 2);
    expect(await p.store.alertHistory({ deviceId: 'gauge-001' })).toEqual([]); // two in a row: not yet
    await p.stop(true);

    p = await startPipeline({ dir });
    await lowBattery(p, t0 + 120_000);
    const raised = await eventually(async () => (await p!.store.alertHistory({ deviceId: 'gauge-001' })).find((c) => c.ruleId === 'river-battery-low'));
    expect(raised).toMatchObject({ level: 'blue', event: { type: 'raised' }, value: 10.9 });
  });
});
