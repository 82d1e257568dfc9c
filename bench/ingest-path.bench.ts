import { bench, describe } from 'vitest';
import { normalize } from '@ganzhi/codecs';
import type { Device } from '@ganzhi/registry';
import { TOPICS, type RawEnvelope, type Reading } from '@ganzhi/schemas';
import { frameBytes, prepareRecord, writeFrame } from '../packages/bus/src/embedded/frame';
import { rawEnvelope } from '../services/gateway/src/ingest';
import { flattenReadings } from '../packages/store/src/duckdb/rows';
import { readingRows } from '../packages/store/src/questdb/rows';
import { tableNames } from '../packages/store/src/questdb/sql';

// Run: npx vitest bench --run --project unit bench/ingest-path.bench.ts
// The per-message steps of the embedded ingest path that the CPU profile of `npm run bench --
// --profile` shows (see bench/README.md): gateway envelope, embedded-log frame encoding, the
// consumer-side decode (JSON.parse + zod) of raw envelopes and readings, and store row building.

const NOW = Date.UTC(2026, 5, 1);
const device: Device = {
  id: 'bench-gauge-0001',
  kind: 'river_gauge',
  site: 'gauge-site-001',
  format: 'json',
  secret: 'scrypt$1024$8$1$c2FsdA==$aGFzaA==',
  reportIntervalSec: 300,
  attributes: { warningLevel: 8, guaranteedLevel: 9.5, historicalMax: 10.6 },
};
const payload = Buffer.from(`{"ts":${NOW},"waterLevel":7.00,"rainfall":0,"rain1h":0,"batteryV":12.6}`);
const raw: RawEnvelope = rawEnvelope('gw-1.abcd.1', device, `devices/${device.id}/telemetry`, payload, NOW);
const rawJson = JSON.stringify(raw);
const normalized = normalize(raw, device);
if (!normalized.ok) throw new Error('bench input must normalize');
const reading: Reading = normalized.readings[0]!;
const readingJson = JSON.stringify(reading);
const frameBuf = Buffer.alloc(64 * 1024);

describe('gateway -> embedded log (per message)', () => {
  bench('rawEnvelope()', () => {
    rawEnvelope('gw-1.abcd.1', device, `devices/${device.id}/telemetry`, payload, NOW);
  });
  bench('prepareRecord() + writeFrame() (JSON.stringify + CRC32)', () => {
    const r = prepareRecord(raw.deviceId, raw);
    if (writeFrame(frameBuf, 0, 1, NOW, r) !== frameBytes(r)) throw new Error('frame size');
  });
});

describe('embedded log -> consumer decode (per record)', () => {
  const rawSchema = TOPICS['ganzhi.raw.v1'].schema;
  const readingSchema = TOPICS['ganzhi.readings.v1'].schema;
  bench('raw envelope: JSON.parse only', () => {
    JSON.parse(rawJson);
  });
  bench('raw envelope: JSON.parse + zod safeParse', () => {
    if (!rawSchema.safeParse(JSON.parse(rawJson)).success) throw new Error('raw must parse');
  });
  bench('reading: JSON.parse only', () => {
    JSON.parse(readingJson);
  });
  bench('reading: JSON.parse + zod safeParse', () => {
    if (!readingSchema.safeParse(JSON.parse(readingJson)).success) throw new Error('reading must parse');
  });
});

describe('store row building (batch of 2000 readings)', () => {
  const batch: Reading[] = Array.from({ length: 2000 }, (_, i) => ({ ...reading, deviceId: `bench-gauge-${i % 250}`, ts: NOW + i }));
  const t = tableNames();
  bench('DuckDB flattenReadings()', () => {
    flattenReadings(batch);
  });
  bench('QuestDB readingRows()', () => {
    readingRows(t, batch);
  });
});
