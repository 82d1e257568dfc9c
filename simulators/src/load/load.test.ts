import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { RegistryFileSchema, parseRegistry, verifySecret } from '@ganzhi/registry';
import { generateRegistry, loadDevices, loadPassword } from './devices';
import { percentiles } from './stats';

describe('load devices', () => {
  it('spread evenly over the four kinds, with a share on SL 651 and HJ 212, the same for the same seed', () => {
    const devices = loadDevices({ devices: 1000, seed: 4 });
    const count = (k: string) => devices.filter((d) => d.kind === k).length;
    expect([count('river_gauge'), count('air_monitor'), count('fire_sensor'), count('port_device')]).toEqual([250, 250, 250, 250]);
    const sl651 = devices.filter((d) => d.format === 'sl651').length;
    const hj212 = devices.filter((d) => d.format === 'hj212').length;
    expect(sl651).toBeGreaterThan(10);
    expect(sl651).toBeLessThan(45);
    expect(hj212).toBeGreaterThan(10);
    expect(hj212).toBeLessThan(45);
    expect(new Set(devices.map((d) => d.id)).size).toBe(1000);
    expect(devices[0]!.id).toBe('load-gauge-0001');
    expect(loadDevices({ devices: 1000, seed: 4 })).toEqual(devices);
  });

  it('make a registry the pipeline accepts, with the demo devices and operators included and passwords from the template', async () => {
    const include = { devices: [], operators: [{ id: 'op-admin', secret: 'scrypt$16$8$1$AAAA$AAAA', roles: ['operator', 'admin'] as ('operator' | 'admin')[] }] };
    const doc = await generateRegistry({ devices: 6, seed: 2, passwordTemplate: 'pw-{id}', scrypt: { N: 16, r: 8, p: 1 }, include });
    const parsed = RegistryFileSchema.parse(doc);
    expect(parsed.devices).toHaveLength(6);
    expect(parsed.operators.map((o) => o.id)).toEqual(['op-admin']);
    expect(doc._generated).toEqual({ devices: 6, prefix: 'load', protocolShare: 0.1, seed: 2 });
    const first = parsed.devices[0]!;
    expect(await verifySecret(`pw-${first.id}`, first.secret)).toBe(true);
    expect(await verifySecret('demo-' + first.id, first.secret)).toBe(false);
  });
});

describe('a load registry with the demo registry included', () => {
  it('carries the device models the demo devices name, so that the pipeline accepts it', async () => {
    const demo = parseRegistry(JSON.parse(await readFile(new URL('../../../deploy/demo/registry.json', import.meta.url), 'utf8')), 'demo');
    expect(demo.devices.some((d) => d.model !== undefined)).toBe(true);
    const doc = await generateRegistry({ devices: 4, seed: 1, scrypt: { N: 16, r: 8, p: 1 }, include: demo });
    expect(() => parseRegistry(doc, 'generated')).not.toThrow();
    expect(doc.models).toEqual(demo.models);
  });
});

describe('load devices on the protocol listeners', () => {
  it('put a share of the SL 651 gauges on TCP with a station address, every second in ASCII mode', () => {
    const plain = loadDevices({ devices: 400, seed: 4 });
    const linked = loadDevices({ devices: 400, seed: 4, linkShare: 0.5 });
    const rtus = linked.filter((d) => d.format === 'sl651' && d.attributes.transport === 'tcp');
    expect(rtus.length).toBeGreaterThan(0);
    for (const r of rtus) expect(r.attributes.station).toMatch(/^00[0-9A-F]{8}$/);
    expect(rtus.some((r) => r.attributes.sl651Encoding === 'ascii')).toBe(true);
    expect(rtus.some((r) => r.attributes.sl651Encoding === undefined)).toBe(true);
    expect(plain.some((d) => d.attributes.transport !== undefined)).toBe(false);
  });

  it('give an RTU on TCP a password of 4 hex digits (its frames carry one), every other device the template\'s', async () => {
    const rtu = { format: 'sl651' as const, attributes: { transport: 'tcp' } };
    expect(loadPassword(rtu, 'demo-load-gauge-0001')).toMatch(/^[0-9A-F]{4}$/);
    expect(loadPassword(rtu, 'demo-load-gauge-0001')).not.toBe(loadPassword(rtu, 'demo-load-gauge-0002'));
    expect(loadPassword(rtu, 'beef')).toBe('beef');
    expect(loadPassword({ format: 'sl651', attributes: {} }, 'demo-x')).toBe('demo-x');
    expect(loadPassword({ format: 'hj212', attributes: { transport: 'tcp' } }, 'demo-x')).toBe('demo-x');
    const doc = await generateRegistry({ devices: 8, protocolShare: 1, linkShare: 1, seed: 2, passwordTemplate: 'pw-{id}', scrypt: { N: 16, r: 8, p: 1 } });
    const gauge = doc.devices.find((d) => d.format === 'sl651')!;
    expect(await verifySecret(loadPassword({ format: 'sl651', attributes: { transport: 'tcp' } }, `pw-${gauge.id}`), gauge.secret)).toBe(true);
  });
});

describe('percentiles', () => {
  it('use the nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
    expect(percentiles(xs)).toMatchObject({ count: 100, p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
    expect(percentiles([])).toMatchObject({ count: 0, p99: 0 });
  });
});
