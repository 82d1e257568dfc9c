import { createHash, createHmac } from 'node:crypto';
import { GanzhiError } from '@ganzhi/schemas';
import type { AuditCheckpoint, AuditHead } from '@ganzhi/schemas';

/**
 * The audit keyring: HMAC-SHA256 keys by id, one of them current. New changes are keyed with the
 * current key and carry its id (`keyId`); older keys stay in the ring so that history keyed with
 * them still verifies after a rotation. The keys live outside the data (GANZHI_AUDIT_KEY_FILE), so
 * someone who can rewrite the store cannot recompute a valid hash.
 */
export interface AuditKeyring {
  readonly currentId: string;
  /** The key with this id, or undefined. */
  key(id: string): Buffer | undefined;
  ids(): string[];
}

export const MIN_KEY_BYTES = 32;

export function createKeyring(keys: Readonly<Record<string, Buffer>>, currentId: string): AuditKeyring {
  const map = new Map(Object.entries(keys));
  for (const [id, k] of map) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `audit key id "${id}": only letters, digits, "_", "." and "-"`);
    if (k.length < MIN_KEY_BYTES) throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `audit key "${id}" is ${k.length} bytes; at least ${MIN_KEY_BYTES}`);
  }
  if (!map.has(currentId)) throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `the current audit key "${currentId}" is not in the keyring`);
  return { currentId, key: (id) => map.get(id), ids: () => [...map.keys()] };
}

/** HMAC-SHA256 hex of `parts` (joined by newlines) under `key`; plain sha256 when key is undefined. */
export function mac(key: Buffer | undefined, ...parts: string[]): string {
  const h = key ? createHmac('sha256', key) : createHash('sha256');
  for (const p of parts) h.update(p).update('\n');
  return h.digest('hex');
}

const HEAD_DOMAIN = 'ganzhi.audit-head.v1';
const CHECKPOINT_DOMAIN = 'ganzhi.audit-checkpoint.v1';

/** Signs a device's chain head (what `ganzhi.audit-heads.v1` carries). */
export function signHead(keyring: AuditKeyring, head: Omit<AuditHead, 'keyId' | 'mac'>): AuditHead {
  const keyId = keyring.currentId;
  return { ...head, keyId, mac: mac(keyring.key(keyId), HEAD_DOMAIN, head.deviceId, String(head.seq), head.hash, String(head.at), keyId) };
}

/** Whether a head's signature holds (undefined key id = forged). */
export function headVerifies(keyring: AuditKeyring, h: AuditHead): boolean {
  const key = keyring.key(h.keyId);
  return key !== undefined && mac(key, HEAD_DOMAIN, h.deviceId, String(h.seq), h.hash, String(h.at), h.keyId) === h.mac;
}

function checkpointBody(c: Omit<AuditCheckpoint, 'mac'>): string {
  const heads = [...c.heads].sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
  return JSON.stringify({ id: c.id, at: c.at, keyId: c.keyId, prevMac: c.prevMac ?? null, heads: heads.map((h) => [h.deviceId, h.seq, h.hash]) });
}

/** Signs a checkpoint (many heads at one time, chained to the previous one by `prevMac`). */
export function signCheckpoint(keyring: AuditKeyring, c: Omit<AuditCheckpoint, 'keyId' | 'mac'>): AuditCheckpoint {
  const keyId = keyring.currentId;
  const body = { ...c, keyId };
  return { ...body, mac: mac(keyring.key(keyId), CHECKPOINT_DOMAIN, checkpointBody(body)) };
}

export function checkpointVerifies(keyring: AuditKeyring, c: AuditCheckpoint): boolean {
  const key = keyring.key(c.keyId);
  return key !== undefined && mac(key, CHECKPOINT_DOMAIN, checkpointBody(c)) === c.mac;
}
