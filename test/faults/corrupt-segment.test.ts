import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, end } from '../helpers/mqtt';
import { eventually, startPipeline, type RunningPipeline } from '../helpers/pipeline';

let p: RunningPipeline | undefined;
afterAll(async () => {
  await p?.stop();
});

describe('a flipped byte in the middle of a bus segment', () => {
  it('costs the one record it hit: every other PUBACKed record is recovered and stored', async () => {
    p = await startPipeline();
    const dir = p.dir;
    const base = Date.UTC(2026, 3, 1);
    const total = 2_000;
    const device = await connect(p.mqttUrl, 'air-001', undefined, { clientId: 'air-001' });
    let acked = 0;
    await new Promise<void>((resolve, reject) => {
      let sent = 0;
      const pump = () => {
        while (sent < total && sent - acked < 32) {
          const ts = base + sent++ * 1000;
          device.publish('devices/air-001/telemetry', JSON.stringify({ ts, pm25: 30 }), { qos: 1 }, (err) => {
            if (err) return reject(err);
            if (++acked === total) resolve();
            else setImmediate(pump);
          });
        }
      };
      pump();
    });
    await end(device);
    await p.stop(true);
    p = undefined;

    // One byte flipped at 50 % of the raw topic's segment, with the pipeline stopped.
    const rawDir = join(dir, 'bus', 'topics', 'ganzhi.raw.v1');
    const [segment] = (await readdir(rawDir)).filter((f) => f.endsWith('.log'));
    const bytes = await readFile(join(rawDir, segment!));
    bytes[Math.floor(bytes.length / 2)] = (bytes[Math.floor(bytes.length / 2)] as number) ^ 0x20;
    await writeFile(join(rawDir, segment!), bytes);
    // Replay the raw log from its start into an empty store: what it holds is what survives.
    await rm(join(dir, 'ganzhi.duckdb'), { force: true });
    await rm(join(dir, 'ganzhi.duckdb.wal'), { force: true });
    await rm(join(dir, 'bus', 'topics', 'ganzhi.readings.v1'), { recursive: true, force: true });
    for (const topic of await readdir(join(dir, 'bus', 'topics'))) await rm(join(dir, 'bus', 'topics', topic, 'groups'), { recursive: true, force: true });
    await rm(join(dir, 'bus', 'offsets.log'), { force: true });

    p = await startPipeline({ dir });
    const stats = () => (p!.bus as unknown as { stats(): { recordsSkipped: number; recordsKeptAfterCorruption: number; corruptRegions: number } }).stats();
    expect(stats()).toMatchObject({ corruptRegions: 1, recordsSkipped: 1 });
    const stored = await eventually(
      async () => {
        const rows = await p!.store.range({ deviceId: 'air-001', metric: 'pm25', from: base, to: base + total * 1000, bucketMs: 1000 });
        return rows.length >= total - 1 && rows;
      },
      60_000,
      'every record but the corrupted one to be stored',
    );
    console.info(`corrupt-segment: ${total} PUBACKed, ${stored.length} recovered; stats ${JSON.stringify(stats())}`);
    expect(stored).toHaveLength(total - 1);
    expect(stored.every((r) => r.count === 1)).toBe(true);
    const quarantine = await readdir(join(rawDir, 'quarantine'));
    expect(quarantine).toHaveLength(1);
  }, 180_000);
});
