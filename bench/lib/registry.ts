import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashSecret, parseRegistry } from '@ganzhi/registry';
import { DEFAULT_PASSWORD_TEMPLATE, generateRegistry, LOAD_SCRYPT, loadDevices, passwordFrom } from '@ganzhi/simulators';
import { deviceSpecs, type DeviceSpec } from '../load/devices';

export interface BenchRegistry {
  readonly file: string;
  readonly devices: DeviceSpec[];
  readonly operator: { readonly user: string; readonly password: string };
}

export const BENCH_OPERATOR = { user: 'op-bench', password: 'bench-op-password' } as const;

/**
 * A load registry in `dir`: `devices` JSON devices of the four kinds (the simulators' generator,
 * no SL 651 / HJ 212 share) and one operator, all hashed with low scrypt cost so that connect
 * storms and the HTTP Basic polls of /api/stats stay cheap. A test bench's registry only.
 */
export async function writeBenchRegistry(dir: string, devices: number): Promise<BenchRegistry> {
  const secret = await hashSecret(BENCH_OPERATOR.password, LOAD_SCRYPT);
  const doc = await generateRegistry({
    devices,
    prefix: 'bench',
    protocolShare: 0,
    seed: 7,
    scrypt: LOAD_SCRYPT,
    include: { devices: [], operators: [{ id: BENCH_OPERATOR.user, name: 'bench operator', roles: ['operator', 'admin'], secret }] },
  });
  parseRegistry(doc, 'bench registry');
  const file = join(dir, `registry-${devices}.json`);
  await writeFile(file, JSON.stringify(doc));
  const specs = deviceSpecs(loadDevices(doc._generated), passwordFrom(DEFAULT_PASSWORD_TEMPLATE));
  return { file, devices: specs, operator: BENCH_OPERATOR };
}
