/**
 * Test helper run as a child process: writes a batch through the DuckDB store, reports that the
 * write resolved, then waits to be killed without close (so no checkpoint happens).
 * Usage: crash-writer.fixture.ts <dbPath> <deviceId> <readings>
 */
import { createDuckDbStore } from './duckdb-store';

const [path, deviceId, count] = process.argv.slice(2);
if (!path || !deviceId || !count) throw new Error('usage: crash-writer.fixture.ts <dbPath> <deviceId> <readings>');
const store = await createDuckDbStore({ path });
const readings = Array.from({ length: Number(count) }, (_, i) => ({
  deviceId,
  kind: 'river_gauge' as const,
  ts: 1_700_000_000_000 + i * 1000,
  metrics: { water_level: { value: i, unit: 'm', quality: 'N' as const }, rain_1h: { value: 0, unit: 'mm', quality: 'N' as const } },
  sourceId: `s-${i}`,
  receivedAt: 1_700_000_000_000 + i * 1000,
}));
await store.writeReadings(readings);
process.stdout.write('written\n');
setTimeout(() => undefined, 60_000); // bounded: the parent kills us long before
