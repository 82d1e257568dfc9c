import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbeddedBus, type EmbeddedBus } from '@ganzhi/bus';
import { GanzhiError, type CommandResult, type Reading } from '@ganzhi/schemas';
import { createDuckDbStore } from '@ganzhi/store';
import { instrumentBus } from './bus';
import { overlay } from './delegate';
import { createMetrics, type Metrics } from './metrics';
import { instrumentStore } from './store';

const reading = (deviceId: string, seq: number): Reading => ({
  deviceId,
  kind: 'river_gauge',
  ts: 1_700_000_000_000 + seq,
  metrics: { level: { value: seq / 10, unit: 'm', quality: 'N' } },
  sourceId: `metrics-test|${deviceId}|${seq}`,
  receivedAt: 1_700_000_000_005 + seq,
});

/** The value of one counter or gauge series, read back through the registry (what /metrics would print). */
async function valueOf(m: Metrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = m.registry.getSingleMetric(name);
  const got = await metric?.get();
  return got?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
}

async function until(fn: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'ganzhi-metrics-'));
  dirs.push(d);
  return d;
}
async function openBus(m: Metrics): Promise<EmbeddedBus> {
  const raw = await createEmbeddedBus({ dir: await tempDir(), retry: { initialMs: 10, maxMs: 50 }, commitIntervalMs: 0 });
  closers.push(() => raw.close());
  return instrumentBus(raw, m);
}

describe('createMetrics', () => {
  it('keeps its series on a registry of its own, never the prom-client default one', async () => {
    const a = createMetrics({ service: 'a', processMetrics: false });
    const b = createMetrics({ service: 'b', processMetrics: false });
    a.alertsRaised.inc({ level: 'red' });
    expect(await valueOf(a, 'ganzhi_alerts_raised_total', { level: 'red' })).toBe(1);
    expect(await valueOf(b, 'ganzhi_alerts_raised_total', { level: 'red' })).toBeUndefined();
    expect(globalRegistry.getSingleMetric('ganzhi_alerts_raised_total')).toBeUndefined();
    expect(await a.registry.metrics()).toMatch(/^ganzhi_alerts_raised_total\{level="red",service="a"\} 1$/m);
  });
});

describe('instrumentBus (on a real embedded bus)', () => {
  it('reports consumer lag by group and topic, and records handled by stage', async () => {
    const m = createMetrics({ service: 't', processMetrics: false });
    const bus = await openBus(m);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let handled = 0;
    await bus.subscribe('slow', { 'ganzhi.readings.v1': async (batch) => void (await gate, (handled += batch.length)) }, { maxBatch: 2 });
    await bus.publish('ganzhi.readings.v1', [1, 2, 3, 4, 5].map((i) => ({ key: 'd1', value: reading('d1', i) })));
    expect(await valueOf(m, 'ganzhi_bus_appended_records_total', { topic: 'ganzhi.readings.v1' })).toBe(5);
    await until(async () => (await valueOf(m, 'ganzhi_bus_consumer_lag', { group: 'slow', topic: 'ganzhi.readings.v1' })) === 5, 'lag 5');
    release();
    await until(async () => handled === 5 && (await valueOf(m, 'ganzhi_bus_consumer_lag', { group: 'slow', topic: 'ganzhi.readings.v1' })) === 0, 'lag 0');
    expect(await valueOf(m, 'ganzhi_stage_records_total', { stage: 'slow', topic: 'ganzhi.readings.v1' })).toBe(5);
    expect(await valueOf(m, 'ganzhi_bus_log_bytes_total')).toBeGreaterThan(0);
  });

  it('counts a batch the bus dead-letters after a non-retryable error, by stage and code', async () => {
    const m = createMetrics({ service: 't', processMetrics: false });
    const bus = await openBus(m);
    let dead = 0;
    await bus.subscribe('dlq-reader', { 'ganzhi.deadletter.v1': async (batch) => void (dead += batch.length) });
    await bus.subscribe('picky', { 'ganzhi.readings.v1': async () => Promise.reject(new GanzhiError('GANZHI_ERR_STORE_QUERY', 'bad')) });
    await bus.publish('ganzhi.readings.v1', [{ key: 'd2', value: reading('d2', 1) }]);
    await until(async () => dead === 1, 'the dead letter');
    expect(await valueOf(m, 'ganzhi_dead_letters_total', { stage: 'picky', code: 'GANZHI_ERR_STORE_QUERY' })).toBe(1);
    expect(await valueOf(m, 'ganzhi_stage_batch_failures_total', { stage: 'picky', topic: 'ganzhi.readings.v1' })).toBe(1);
  });

  it('reads command results once they are durable', async () => {
    const m = createMetrics({ service: 't', processMetrics: false });
    const bus = await openBus(m);
    const result: CommandResult = { commandId: 'c1', alertId: 'a', actor: 'op-alice', action: 'close', ok: false, code: 'GANZHI_ERR_ALERT_TRANSITION', reason: 'not resolved', at: 1 };
    await bus.publish('ganzhi.command-results.v1', [{ key: 'op-alice', value: result }]);
    expect(await valueOf(m, 'ganzhi_command_results_total', { action: 'close', outcome: 'GANZHI_ERR_ALERT_TRANSITION' })).toBe(1);
    const text = await m.registry.metrics();
    expect(text).toMatch(/^ganzhi_bus_append_seconds_count\{service="t",topic="ganzhi.command-results.v1"\} 1$/m);
  });
});

describe('instrumentStore (on a real DuckDB store)', () => {
  it('times writes, counts rows, and its probe follows the store', async () => {
    const m = createMetrics({ service: 't', processMetrics: false });
    const raw = await createDuckDbStore({ path: join(await tempDir(), 'm.duckdb') });
    const store = instrumentStore(raw, m);
    await store.writeReadings([reading('d3', 1), reading('d3', 2)]);
    expect(await valueOf(m, 'ganzhi_store_written_total', { table: 'readings' })).toBe(2);
    expect(await m.registry.metrics()).toMatch(/^ganzhi_store_write_seconds_count\{service="t",table="readings"\} 1$/m);
    expect(await store.countReadings('d3')).toBe(2); // the rest of the store is the store's own
    expect(await store.probe()).toBe(true);
    expect(await valueOf(m, 'ganzhi_store_up')).toBe(1);
    await store.close();
    expect(await store.probe()).toBe(false);
    expect(await valueOf(m, 'ganzhi_store_up')).toBe(0);
    await expect(store.writeReadings([reading('d3', 3)])).rejects.toThrow();
    expect(await valueOf(m, 'ganzhi_store_write_failures_total', { table: 'readings' })).toBe(1);
  });
});

describe('overlay', () => {
  it('replaces some members and binds the rest to the target (private fields keep working)', () => {
    class Counter {
      #n = 0;
      inc() {
        return ++this.#n;
      }
      get n() {
        return this.#n;
      }
    }
    const c = new Counter();
    const o = overlay(c, { extra: 1 }) as Counter & { extra: number };
    expect(o.inc()).toBe(1);
    expect(o.n).toBe(1);
    expect(o.extra).toBe(1);
  });
});
