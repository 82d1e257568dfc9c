import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { generateRegistry, loadDevices, passwordFrom, runLoad } from '@ganzhi/simulators';
import { eventually, startPipeline } from '../helpers/pipeline';

describe('the load generator', () => {
  it('connects generated devices of all four kinds with a generated registry and has every QoS 1 message acknowledged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ganzhi-load-'));
    const options = { devices: 12, protocolShare: 0.5, seed: 3 };
    const registryFile = join(dir, 'registry.json');
    await writeFile(registryFile, JSON.stringify(await generateRegistry({ ...options, scrypt: { N: 16, r: 8, p: 1 } })));
    const p = await startPipeline({ dir, env: { GANZHI_REGISTRY_FILE: registryFile } });
    try {
      const devices = loadDevices(options);
      const result = await runLoad({ url: p.mqttUrl, devices, password: passwordFrom('demo-{id}'), rate: 200, durationMs: 1000 });
      expect(result.connected).toBe(12);
      expect(result.sent).toBeGreaterThan(0);
      expect(result.failed).toBe(0);
      expect(result.acked).toBe(result.sent);
      expect(result.latency.count).toBe(result.acked);
      expect(Object.keys(result.byKind).sort()).toEqual(['air_monitor', 'fire_sensor', 'port_device', 'river_gauge']);
      // Every payload, JSON, HJ 212 and SL 651 alike, became a reading: nothing was dead-lettered.
      const s = p.pipeline.normalizer.stats();
      for (let i = 0; i < 100 && s.readings < result.acked; i++) await new Promise((r) => setTimeout(r, 50));
      expect(s.deadLetters).toBe(0);
      expect(s.readings).toBe(result.acked);
    } finally {
      await p.stop();
    }
  });

  it('mixes devices on the protocol listeners (HJ 212 over TCP, SL 651 RTUs in HEX and ASCII mode, GB/T 26875.3 UITDs) with MQTT ones, every report answered', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ganzhi-load-links-'));
    const options = { devices: 16, protocolShare: 1, linkShare: 1, seed: 5 };
    const registryFile = join(dir, 'registry.json');
    await writeFile(registryFile, JSON.stringify(await generateRegistry({ ...options, scrypt: { N: 16, r: 8, p: 1 } })));
    const p = await startPipeline({ dir, env: { GANZHI_REGISTRY_FILE: registryFile } });
    try {
      const devices = loadDevices(options);
      expect(devices.filter((d) => d.format === 'gbt26875')).toHaveLength(4);
      expect(devices.filter((d) => d.format === 'hj212' && d.attributes.transport === 'tcp')).toHaveLength(4);
      const rtus = devices.filter((d) => d.format === 'sl651' && d.attributes.transport === 'tcp');
      expect(rtus).toHaveLength(4);
      expect(rtus.filter((d) => d.attributes.sl651Encoding === 'ascii')).toHaveLength(2);
      const result = await runLoad({ url: p.mqttUrl, links: { host: '127.0.0.1', ports: p.pipeline.gateway.ports() }, devices, password: passwordFrom('demo-{id}'), rate: 200, durationMs: 1000 });
      expect(result.connected).toBe(16);
      expect(result.failed).toBe(0);
      expect(result.acked).toBe(result.sent);
      expect(result.byKind.fire_sensor).toBeGreaterThan(0);
      expect(result.byKind.air_monitor).toBeGreaterThan(0);
      expect(result.byKind.river_gauge).toBeGreaterThan(0);
      const links = p.pipeline.gateway.stats().links;
      expect(links.accepted).toBeGreaterThan(0);
      expect(links.badFrames + links.authFailures).toBe(0);
      // every frame became readings: nothing was dead-lettered
      const s = p.pipeline.normalizer.stats();
      const want = p.pipeline.gateway.stats().accepted + links.accepted + links.statuses;
      for (let i = 0; i < 100 && s.records < want; i++) await new Promise((r) => setTimeout(r, 50));
      expect(s.deadLetters).toBe(0);
      // the RTUs of both encodings were answered and their reports became readings
      for (const rtu of rtus) await eventually(async () => (await p.store.countReadings(rtu.id)) > 0, 20_000, `readings of ${rtu.id}`);
    } finally {
      await p.stop();
    }
  });
});
