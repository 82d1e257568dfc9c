import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { normalize } from '@ganzhi/codecs';
import { DeviceSchema } from '@ganzhi/registry';
import type { RawEnvelope } from '@ganzhi/schemas';
import { planScenario, type Action } from './plan';
import { listScenarioFiles, loadScenarioFile, parseScenario } from './scenario/load';
import type { ScenarioDevice, ScenarioInput } from './scenario/schema';

const dir = fileURLToPath(new URL('../scenarios/', import.meta.url));
const files = await listScenarioFiles(dir);

type Telemetry = Extract<Action, { type: 'telemetry' }>;
const telemetry = (actions: readonly Action[], device?: string) => actions.filter((a): a is Telemetry => a.type === 'telemetry' && (device === undefined || a.device === device));

/** What the gateway would put on the bus for this publish (services/gateway ingest.ts). */
function envelope(d: ScenarioDevice, a: Telemetry, receivedAt: number): RawEnvelope {
  const binary = d.format === 'sl651' || d.format === 'gbt26875';
  const bytes = typeof a.payload === 'string' ? Buffer.from(a.payload, 'utf8') : Buffer.from(a.payload);
  return { id: `t-${a.t}`, deviceId: d.id, kind: d.kind, format: d.format, topic: `devices/${d.id}/telemetry`, receivedAt, encoding: binary ? 'base64' : 'utf8', payload: bytes.toString(binary ? 'base64' : 'utf8') };
}

const registered = (d: ScenarioDevice) =>
  DeviceSchema.parse({ id: d.id, kind: d.kind, format: d.format, secret: 'scrypt$16$8$1$AAAA$AAAA', attributes: d.attributes });

const base: ScenarioInput = {
  name: 'unit',
  title: 'unit',
  seed: 1,
  start: '2026-06-01T00:00:00+08:00',
  duration: '2h',
  devices: [{ id: 'gauge-001', kind: 'river_gauge', intervalSec: 300, attributes: { warningLevel: 12.5 } }],
};
const scenario = (extra: Partial<ScenarioInput>) => parseScenario({ ...base, ...extra });

describe('planning a scenario', () => {
  it('is deterministic: the same scenario and seed give the same actions, byte for byte', async () => {
    const s = await loadScenarioFile(`${dir}quiet-day.json`);
    expect(planScenario(s)).toEqual(planScenario(s));
    const other = planScenario(s, { seed: s.seed + 1 });
    expect(telemetry(other.actions).map((a) => a.payload)).not.toEqual(telemetry(planScenario(s).actions).map((a) => a.payload));
  });

  for (const file of files) {
    it(`${file.slice(dir.length)}: every report decodes with the platform's codecs, and every malformed one is refused`, async () => {
      const s = await loadScenarioFile(file);
      const plan = planScenario(s);
      const byId = new Map(s.devices.map((d) => [d.id, d]));
      let good = 0;
      for (const a of telemetry(plan.actions)) {
        const d = byId.get(a.device)!;
        const result = normalize(envelope(d, a, plan.start + a.t + 1000), registered(d));
        if (a.faults?.includes('malformed')) {
          expect(result.ok, `${a.device} at ${a.t}: ${String(a.payload)}`).toBe(false);
        } else {
          expect(result.ok ? 'ok' : `${result.code}: ${result.reason}`, `${a.device} at ${a.t}`).toBe('ok');
          if (result.ok) expect(result.readings.map((r) => r.ts)).toEqual([a.ts]);
          good++;
        }
      }
      expect(good).toBeGreaterThan(0);
    });
  }

  it('reports every interval, phased so that devices do not all report at once, SL 651 gauges on whole minutes', () => {
    const s = scenario({
      devices: [
        { id: 'gauge-001', kind: 'river_gauge', intervalSec: 300 },
        { id: 'gauge-002', kind: 'river_gauge', format: 'sl651', intervalSec: 300 },
      ],
    });
    const plan = planScenario(s);
    const a = telemetry(plan.actions, 'gauge-001');
    const b = telemetry(plan.actions, 'gauge-002');
    expect(a).toHaveLength(24);
    expect(a.slice(1).map((x, i) => x.t - a[i]!.t)).toEqual(new Array(23).fill(300_000));
    expect(b.every((x) => x.t % 60_000 === 0)).toBe(true);
    expect(plan.actions[0]).toEqual({ t: 0, device: 'gauge-001', type: 'connect' });
  });

  it('goes quiet during a silent dropout, and a crash drops the connection (last will) and reconnects after it', () => {
    const s = scenario({
      events: [
        { type: 'dropout', at: '20m', duration: '30m', mode: 'silent' },
        { type: 'dropout', at: '1h20m', duration: '10m', mode: 'crash' },
      ],
    });
    const plan = planScenario(s);
    const ts = telemetry(plan.actions).map((a) => a.t);
    expect(ts.some((t) => t >= 20 * 60_000 && t < 50 * 60_000)).toBe(false);
    expect(ts.some((t) => t >= 80 * 60_000 && t < 90 * 60_000)).toBe(false);
    const links = plan.actions.filter((a) => a.type !== 'telemetry');
    expect(links).toEqual([
      { t: 0, device: 'gauge-001', type: 'connect' },
      { t: 4_800_000, device: 'gauge-001', type: 'disconnect', mode: 'crash' },
      { t: 5_400_000, device: 'gauge-001', type: 'connect' },
    ]);
  });

  it('applies spikes, stuck values, clock skew and malformed payloads to the reports after the event', () => {
    const s = scenario({
      events: [
        { type: 'spike', at: '10m', metric: 'waterLevel', value: 99, count: 2 },
        { type: 'stuck', at: '30m', duration: '20m' },
        { type: 'clock-skew', at: '1h', offset: '-8h', duration: '15m' },
        { type: 'malformed', at: '1h30m', variant: 'garbage', count: 3 },
      ],
    });
    const reports = telemetry(planScenario(s).actions);
    const json = (a: Telemetry) => JSON.parse(a.payload as string) as Record<string, number>;
    const spiked = reports.filter((a) => a.faults?.includes('spike'));
    expect(spiked).toHaveLength(2);
    expect(spiked.every((a) => json(a).waterLevel === 99 && a.t >= 600_000)).toBe(true);
    const stuck = reports.filter((a) => a.faults?.includes('stuck'));
    expect(stuck.length).toBeGreaterThanOrEqual(3);
    expect(new Set(stuck.map((a) => json(a).waterLevel)).size).toBe(1);
    expect(new Set(stuck.map((a) => json(a).ts)).size).toBe(stuck.length); // frozen values, fresh timestamps
    const skewed = reports.filter((a) => a.faults?.includes('skew'));
    expect(skewed).toHaveLength(3);
    for (const a of skewed) expect(a.ts).toBe(s.start + a.t - 8 * 3_600_000);
    expect(reports.filter((a) => a.faults?.includes('malformed'))).toHaveLength(3);
  });

  it('storms: a reconnect storm is that many crashes, each followed by a reconnect', () => {
    const s = scenario({ events: [{ type: 'reconnect-storm', at: '1h', count: 5, every: '4s' }] });
    const links = planScenario(s).actions.filter((a) => a.type !== 'telemetry');
    expect(links.filter((a) => a.type === 'disconnect')).toHaveLength(5);
    expect(links.filter((a) => a.type === 'connect')).toHaveLength(6);
    expect(links.slice(1, 3).map((a) => a.t)).toEqual([3_600_000, 3_602_000]);
  });

  it('moves only the timestamps when the run puts t = 0 elsewhere: the values stay those of the seed', () => {
    const s = scenario({});
    const shift = 86_400_000 + 5 * 3_600_000;
    const moved = telemetry(planScenario(s, { start: s.start + shift }).actions);
    const own = telemetry(planScenario(s).actions);
    expect(moved.map((a) => a.ts - shift)).toEqual(own.map((a) => a.ts));
    const values = (xs: Telemetry[]) => xs.map((a) => ({ ...JSON.parse(a.payload as string), ts: 0 }));
    expect(values(moved)).toEqual(values(own));
  });
});
