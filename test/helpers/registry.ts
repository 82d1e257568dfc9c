import { writeFile } from 'node:fs/promises';
import { hashSecret, type RegistryFile } from '@ganzhi/registry';

/** Cheap scrypt for generated test registries (the demo and real registries use the default cost). */
const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

/**
 * Writes a registry of `count` river gauges (each on its own site, so they spread over
 * partitions), plus op-alice (operator) and op-admin (admin), with passwords `demo-<id>`; returns the
 * device ids.
 */
export async function writeGaugeRegistry(path: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `gauge-${String(i).padStart(3, '0')}`);
  const file: RegistryFile = {
    demo: true,
    devices: await Promise.all(
      ids.map(async (id) => ({
        id,
        kind: 'river_gauge' as const,
        site: `site-${id}`,
        format: 'json' as const,
        reportIntervalSec: 3600,
        secret: await hashSecret(`demo-${id}`, TEST_SCRYPT),
        attributes: { warningLevel: 12.5, guaranteedLevel: 14.0, historicalMax: 15.2 },
      })),
    ),
    operators: [
      { id: 'op-alice', roles: ['operator'], secret: await hashSecret('demo-op-alice', TEST_SCRYPT) },
      { id: 'op-admin', roles: ['operator', 'admin'], secret: await hashSecret('demo-op-admin', TEST_SCRYPT) },
    ],
  };
  await writeFile(path, JSON.stringify(file, null, 2));
  return ids;
}
