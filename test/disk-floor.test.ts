import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@ganzhi/log';
import { buildDiskWatch, dataDirAreas, type DiskWatch, type VolumeStats } from '@ganzhi/runtime';
import { connect } from './helpers/mqtt';
import { eventually, startPipeline, type RunningPipeline } from './helpers/pipeline';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The disk floor with a real broker and a real MQTT client: the volume's figures come from an
 * injected statfs (this machine's disk is not to be filled), everything else is real.
 */
const GiB = 1024 ** 3;
/** Both placements of the gateway: on the stages' thread, and on a thread of its own (the default). */
describe.each([
  { placement: 'the gateway on the main thread', env: { GANZHI_GATEWAY_THREAD: 'false' } },
  { placement: 'the gateway on its own thread', env: { GANZHI_GATEWAY_THREAD: 'true' } },
])('the disk floor, $placement', ({ env }) => {
  let free = 50 * GiB;
  const statfs = async (): Promise<VolumeStats> => ({ bsize: 4096, blocks: (100 * GiB) / 4096, bavail: Math.floor(free / 4096) });
  let p: RunningPipeline;
  let disk: DiskWatch;

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ganzhi-disk-'));
    disk = buildDiskWatch(
      { dir, areas: dataDirAreas(dir), warnPercent: 80, minFreeBytes: 2 * GiB, intervalMs: 3_600_000 },
      { logger: silentLogger(), statfs },
    );
    p = await startPipeline({ dir, disk, env });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('refuses publishes without a PUBACK below the free-space floor, and takes the resent message once space is back', async () => {
    const device = await connect(p.mqttUrl, 'gauge-001', undefined, { reconnectPeriod: 100 });
    try {
      const acked = (level: number) =>
        new Promise<void>((resolve, reject) =>
          device.publish('devices/gauge-001/telemetry', JSON.stringify({ ts: Date.now(), waterLevel: level }), { qos: 1 }, (err) => (err ? reject(err) : resolve())),
        );
      await acked(1.25);
      await eventually(async () => (await p.store.latest({ deviceId: 'gauge-001', metric: 'waterLevel' }))[0]?.value === 1.25, 20_000, 'the first reading');

      free = 1 * GiB;
      expect((await disk.check()).ingestAllowed).toBe(false);
      const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
      let pubacked = false;
      const second = acked(2.5).then(() => {
        pubacked = true;
      });
      await closed; // the broker refused the publish: connection closed, no PUBACK
      expect(pubacked).toBe(false);
      // counted where the disk watch is (a gateway thread reports its refusal by message)
      await eventually(() => (disk.snapshot()?.refused ?? 0) >= 1, 10_000, 'the refusal counted');
      const stats = (await (await fetch(`${p.httpUrl}/api/stats`, { headers: { authorization: `Basic ${Buffer.from('op-admin:demo-op-admin').toString('base64')}` } })).json()) as { disk: { ingestAllowed: boolean; refused: number; warn: boolean; areas: Record<string, number> } };
      expect(stats.disk).toMatchObject({ ingestAllowed: false, warn: true });
      expect(stats.disk.refused).toBeGreaterThanOrEqual(1);
      expect(Object.keys(stats.disk.areas).sort()).toEqual(['busState', 'busTopics', 'store']);
      expect(stats.disk.areas['busTopics']).toBeGreaterThan(0);
      expect((await p.store.latest({ deviceId: 'gauge-001', metric: 'waterLevel' }))[0]?.value).toBe(1.25);

      free = 50 * GiB;
      expect((await disk.check()).ingestAllowed).toBe(true);
      await second; // mqtt.js resent the unacknowledged message after reconnecting
      expect(pubacked).toBe(true);
      await eventually(async () => (await p.store.latest({ deviceId: 'gauge-001', metric: 'waterLevel' }))[0]?.value === 2.5, 20_000, 'the resent reading');
    } finally {
      device.end(true);
    }
  });
});
