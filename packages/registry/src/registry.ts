import { createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GanzhiError } from '@ganzhi/schemas';
import { RegistryFileSchema, type Device, type DeviceModel, type Operator, type RegistryFile } from './schema';
import { verifySecret } from './secrets';

export type Principal =
  | { readonly type: 'device'; readonly id: string; readonly device: Device }
  | { readonly type: 'operator'; readonly id: string; readonly operator: Operator };

/** Devices and operators, looked up by id; credentials checked against scrypt hashes. */
export interface Registry {
  readonly demo: boolean;
  /** The device with its units resolved (its model's units, its own on top). */
  device(id: string): Device | undefined;
  model(id: string): DeviceModel | undefined;
  operator(id: string): Operator | undefined;
  devices(): readonly Device[];
  operators(): readonly Operator[];
  /** The principal for a username and password, or undefined when either is wrong. */
  authenticate(username: string, password: string | Buffer): Promise<Principal | undefined>;
}

/** A device with its model's units merged under its own (null-prototype map: keys come from files). */
function resolveUnits(d: Device, models: ReadonlyMap<string, DeviceModel>): Device {
  const model = d.model === undefined ? undefined : models.get(d.model);
  if (model === undefined && d.units === undefined) return d;
  const units = Object.assign(Object.create(null) as Record<string, string>, model?.units, d.units);
  return { ...d, units };
}

export function createRegistry(file: RegistryFile): Registry {
  const models = new Map((file.models ?? []).map((m) => [m.id, m]));
  const list = file.devices.map((d) => resolveUnits(d, models));
  const devices = new Map(list.map((d) => [d.id, d]));
  const operators = new Map(file.operators.map((o) => [o.id, o]));
  // A successful check is cached (as an HMAC under a per-process key, never the secret itself) so
  // that reconnect storms do not each pay for scrypt.
  const cacheKey = randomBytes(32);
  const fingerprint = (pw: string) => createHmac('sha256', cacheKey).update(pw).digest('base64');
  const verified = new Map<string, string>();
  return {
    demo: file.demo,
    device: (id) => devices.get(id),
    model: (id) => models.get(id),
    operator: (id) => operators.get(id),
    devices: () => list,
    operators: () => file.operators,
    async authenticate(username, password) {
      const device = devices.get(username);
      const operator = device ? undefined : operators.get(username);
      const hash = device?.secret ?? operator?.secret;
      if (!hash) return undefined;
      const pw = typeof password === 'string' ? password : password.toString('utf8');
      const fp = fingerprint(pw);
      if (verified.get(username) !== fp) {
        if (!(await verifySecret(pw, hash))) return undefined;
        verified.set(username, fp);
      }
      return device ? { type: 'device', id: username, device } : { type: 'operator', id: username, operator: operator! };
    },
  };
}

/** Parses a registry document, failing with GANZHI_ERR_REG_INVALID naming the bad field. */
export function parseRegistry(doc: unknown, source = 'registry'): RegistryFile {
  const result = RegistryFileSchema.safeParse(doc);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new GanzhiError('GANZHI_ERR_REG_INVALID', `${source}: ${problems}`);
  }
  return result.data;
}

export async function loadRegistryFile(path: string): Promise<Registry> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new GanzhiError('GANZHI_ERR_REG_INVALID', `${path}: cannot read (${(err as Error).message})`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new GanzhiError('GANZHI_ERR_REG_INVALID', `${path}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return createRegistry(parseRegistry(doc, path));
}
