import { describe, expect, it } from 'vitest';
import { RegistryFileSchema, verifySecret } from '@ganzhi/registry';
import { generateRegistry, loadDevices } from './devices';
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

describe('percentiles', () => {
  it('use the nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
    expect(percentiles(xs)).toMatchObject({ count: 100, p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
    expect(percentiles([])).toMatchObject({ count: 0, p99: 0 });
  });
});
