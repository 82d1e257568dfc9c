import { createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GanzhiError } from '@ganzhi/schemas';
import { RegistryFileSchema, type Device, type DeviceModel, type Operator, type RegistryFile } from './schema';
import type { DutyGroup } from './receivers';
import { createSecretVerifier, parseHash, type SecretVerifier } from './verifier';

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
  dutyGroup(id: string): DutyGroup | undefined;
  dutyGroups(): readonly DutyGroup[];
  /**
   * The principal for a username and password, or undefined when either is wrong. An unknown
   * username costs the same scrypt work as a known one with a wrong password. Throws
   * GANZHI_ERR_REG_BUSY when too many checks are already waiting.
   */
  authenticate(username: string, password: string | Buffer): Promise<Principal | undefined>;
  /** The principal when these exact credentials were verified recently (no scrypt work), else undefined. */
  recentlyVerified(username: string, password: string | Buffer): Principal | undefined;
  /** Stops the secret-checking thread. */
  close(): Promise<void>;
}

/** Same cost parameters as the registry's own hashes, for a username that is not in it. */
function decoyHash(file: RegistryFile): string {
  const sample = [...file.devices, ...file.operators][0]?.secret;
  const h = sample ? parseHash(sample) : undefined;
  const [N, r, p] = h ? [h.N, h.r, h.p] : [16384, 8, 1];
  return `scrypt$${N}$${r}$${p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;
}

/** A device with its model's units merged under its own (null-prototype map: keys come from files). */
function resolveUnits(d: Device, models: ReadonlyMap<string, DeviceModel>): Device {
  const model = d.model === undefined ? undefined : models.get(d.model);
  if (model === undefined && d.units === undefined) return d;
  const units = Object.assign(Object.create(null) as Record<string, string>, model?.units, d.units);
  return { ...d, units };
}

export function createRegistry(file: RegistryFile, verifier: SecretVerifier = createSecretVerifier()): Registry {
  const models = new Map((file.models ?? []).map((m) => [m.id, m]));
  const list = file.devices.map((d) => resolveUnits(d, models));
  const devices = new Map(list.map((d) => [d.id, d]));
  const operators = new Map(file.operators.map((o) => [o.id, o]));
  const groups = new Map((file.dutyGroups ?? []).map((g) => [g.id, g]));
  // A successful check is cached (as an HMAC under a per-process key, never the secret itself) so
  // that reconnect storms do not each pay for scrypt.
  const cacheKey = randomBytes(32);
  const fingerprint = (pw: string) => createHmac('sha256', cacheKey).update(pw).digest('base64');
  const verified = new Map<string, string>();
  const decoy = decoyHash(file);
  const principal = (username: string): Principal | undefined => {
    const device = devices.get(username);
    if (device) return { type: 'device', id: username, device };
    const operator = operators.get(username);
    return operator ? { type: 'operator', id: username, operator } : undefined;
  };
  const text = (password: string | Buffer) => (typeof password === 'string' ? password : password.toString('utf8'));
  return {
    demo: file.demo,
    device: (id) => devices.get(id),
    model: (id) => models.get(id),
    operator: (id) => operators.get(id),
    devices: () => list,
    operators: () => file.operators,
    dutyGroup: (id) => groups.get(id),
    dutyGroups: () => file.dutyGroups ?? [],
    async authenticate(username, password) {
      const who = principal(username);
      const hash = who?.type === 'device' ? who.device.secret : who?.operator.secret;
      const pw = text(password);
      const fp = fingerprint(pw);
      if (who && verified.get(username) === fp) return who;
      const ok = await verifier.verify(pw, hash ?? decoy);
      if (!ok || !who) return undefined;
      verified.set(username, fp);
      return who;
    },
    recentlyVerified(username, password) {
      return verified.get(username) === fingerprint(text(password)) ? principal(username) : undefined;
    },
    close: () => verifier.close(),
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
