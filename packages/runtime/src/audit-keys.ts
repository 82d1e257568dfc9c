import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { createKeyring, type AuditKeyring } from '@ganzhi/alerts';
import type { Logger } from '@ganzhi/log';
import { GanzhiError, KeyIdSchema } from '@ganzhi/schemas';

/**
 * The audit keyring file (GANZHI_AUDIT_KEY_FILE): `{"current": "<keyId>", "keys": {"<keyId>":
 * "<base64, 32+ bytes>", ...}}`, mode 0600. `npm run audit:key -- rotate` adds a key and makes it
 * current; older keys stay so that history keyed with them still verifies.
 */
export const KeyringFileSchema = z.object({
  current: KeyIdSchema,
  keys: z.record(KeyIdSchema, z.string().regex(/^[A-Za-z0-9+/=]{43,}$/, 'base64 of at least 32 bytes')),
});
export type KeyringFile = z.infer<typeof KeyringFileSchema>;

/** Where the key lives when GANZHI_AUDIT_KEY_FILE is not set: beside the data directory, not in it. */
export const defaultKeyFile = (dataDir: string) => join(dirname(resolve(dataDir)), 'ganzhi-audit-keys.json');

export function newKeyringFile(keyId = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`): KeyringFile {
  return { current: keyId, keys: { [keyId]: randomBytes(32).toString('base64') } };
}

export function keyringOf(file: KeyringFile): AuditKeyring {
  return createKeyring(Object.fromEntries(Object.entries(file.keys).map(([id, k]) => [id, Buffer.from(k, 'base64')])), file.current);
}

async function readKeyringFile(path: string, variable: string): Promise<KeyringFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `${variable}: ${path} is not valid JSON`);
  }
  const parsed = KeyringFileSchema.safeParse(doc);
  if (!parsed.success) {
    throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `${variable}: ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/**
 * Opens the audit keyring. An explicitly configured file must exist (the error names the
 * variable); without one, a key is made on first start beside the data directory (0600) and
 * its place logged, so the quick start is keyed too.
 */
export async function openAuditKeyring(config: { GANZHI_AUDIT_KEY_FILE?: string | undefined; GANZHI_DATA_DIR: string }, logger: Logger): Promise<AuditKeyring> {
  const variable = 'GANZHI_AUDIT_KEY_FILE';
  if (config.GANZHI_AUDIT_KEY_FILE) return keyringOf(await readKeyringFile(config.GANZHI_AUDIT_KEY_FILE, variable));
  const path = defaultKeyFile(config.GANZHI_DATA_DIR);
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    // written whole under a private name, then linked into place: a concurrent start never reads half a file
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, `${JSON.stringify(newKeyringFile(), null, 2)}\n`, { flag: 'wx', mode: 0o600 });
    try {
      await link(tmp, path);
    } finally {
      await unlink(tmp);
    }
    logger.warn({ path }, `made a new audit key; keep it apart from the data directory (set ${variable} for anything but a demo)`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `${variable}: cannot create ${path}`, { cause: err });
  }
  return keyringOf(await readKeyringFile(path, variable));
}
