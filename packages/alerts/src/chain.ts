import { createHash, createHmac } from 'node:crypto';
import type { AlertChange } from '@ganzhi/schemas';
import type { AuditKeyring } from './audit-key';

/**
 * The audit chain. Every change carries two links, both inside what is hashed:
 * - per alert: `seq` (1, 2, …) and `prevHash` = hash of the alert's previous change, so one alert's
 *   history verifies on its own (HTTP "show one alert with its history");
 * - per device: `deviceSeq` (1, 2, … over all alerts of the device) and `devicePrevHash`, so the
 *   deletion of an alert's last change, or of a whole alert, is caught as soon as the device has any
 *   later change. The device's newest changes are covered by checkpoints of the chain heads
 *   (`ganzhi.audit-heads.v1`, audit-key.ts), kept apart from the store.
 * `hash` = HMAC-SHA256 hex, under the audit key named by `keyId`, of HASH_DOMAIN + the canonical
 * JSON of the change without `hash` (so a change edited and re-hashed without the key does not
 * verify). A change without `keyId` carries a plain sha256: accepted only when no keyring is given
 * (unit tests, older records); with a keyring it is reported `unkeyed`.
 */
export const HASH_DOMAIN = 'ganzhi.alert-change.v1\n';

/** JSON with object keys sorted at every depth and undefined members left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v !== undefined) parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * The hash a change must carry: over everything but `hash` itself (links and keyId included),
 * keyed with the key `change.keyId` names; undefined when the keyring lacks that key.
 */
export function hashChange(change: AlertChange, keyring?: AuditKeyring): string | undefined {
  const { hash: _ignored, ...rest } = change;
  let key: Buffer | undefined;
  if (change.keyId !== undefined) {
    key = keyring?.key(change.keyId);
    if (!key) return undefined;
  }
  const h = key ? createHmac('sha256', key) : createHash('sha256');
  return h.update(HASH_DOMAIN).update(canonicalJson(rest)).digest('hex');
}

export type ChainProblem =
  | 'missing-hash' // the change carries no hash (or, for the device chain, no deviceSeq)
  | 'unkeyed' // a keyring is in use but the change carries a plain sha256 (forged or from before keys)
  | 'unknown-key' // the change names a key id the keyring does not hold
  | 'hash-mismatch' // a field was edited after hashing (or re-hashed without the key)
  | 'missing-start' // the chain does not start at 1: its first changes were removed
  | 'seq-gap' // a change is missing
  | 'out-of-order' // changes were reordered
  | 'broken-link' // prevHash does not name the previous change: removed, replaced or re-hashed
  | 'conflict'; // two different changes with the same position

export type ChainVerdict =
  | { ok: true; count: number }
  | { ok: false; alertId: string; seq: number; problem: ChainProblem; chain: 'alert' | 'device'; detail: string };

export interface VerifyOptions {
  /**
   * Also verify each device's chain. Needs each device's complete history (from deviceSeq 1);
   * catches the removal of an alert's last change or of a whole alert. Default false.
   */
  device?: boolean;
  /** The audit keyring; when given, every change must be keyed with one of its keys. */
  keyring?: AuditKeyring;
}

interface Link {
  seq: number;
  hash: string;
}

/**
 * Verifies changes in log order (the order they were appended; several alerts and devices may be
 * interleaved). Exact re-deliveries (same position, same hash) are skipped, as at-least-once
 * delivery produces them. Returns the first problem found.
 */
export function verifyChain(changes: readonly AlertChange[], options: VerifyOptions = {}): ChainVerdict {
  const present = new Set<string>();
  const presentDevice = new Set<string>();
  for (const c of changes) {
    present.add(`${c.alertId}\u0000${c.seq}`);
    if (c.deviceSeq !== undefined) presentDevice.add(`${c.deviceId}\u0000${c.deviceSeq}`);
  }
  const seen = new Map<string, string>(); // alertId␀seq -> hash
  const alertHeads = new Map<string, Link>();
  const deviceHeads = new Map<string, Link>();
  let count = 0;
  for (const c of changes) {
    const fail = (problem: ChainProblem, chain: 'alert' | 'device', detail: string): ChainVerdict => ({
      ok: false,
      alertId: c.alertId,
      seq: c.seq,
      problem,
      chain,
      detail,
    });
    if (c.hash === undefined) return fail('missing-hash', 'alert', 'change carries no hash');
    if (options.keyring && c.keyId === undefined) return fail('unkeyed', 'alert', 'change carries no audit key id: not made by the alert manager');
    const expected = hashChange(c, options.keyring);
    if (expected === undefined) return fail('unknown-key', 'alert', `change names audit key "${c.keyId}", which the keyring does not hold`);
    if (expected !== c.hash) return fail('hash-mismatch', 'alert', 'content does not match its keyed hash (edited, or re-hashed without the key)');
    const pos = `${c.alertId}\u0000${c.seq}`;
    const earlier = seen.get(pos);
    if (earlier !== undefined) {
      if (earlier === c.hash) continue; // re-delivered copy
      return fail('conflict', 'alert', `a different change already holds seq ${c.seq}`);
    }
    seen.set(pos, c.hash);

    const bad = follow(alertHeads.get(c.alertId), c.seq, c.prevHash, (s) => present.has(`${c.alertId}\u0000${s}`));
    if (bad) return fail(bad.problem, 'alert', bad.detail);
    alertHeads.set(c.alertId, { seq: c.seq, hash: c.hash });

    if (options.device) {
      if (c.deviceSeq === undefined) return fail('missing-hash', 'device', 'change carries no deviceSeq');
      const bad = follow(deviceHeads.get(c.deviceId), c.deviceSeq, c.devicePrevHash, (s) =>
        presentDevice.has(`${c.deviceId}\u0000${s}`),
      );
      if (bad) return fail(bad.problem, 'device', `device ${c.deviceId}: ${bad.detail}`);
      deviceHeads.set(c.deviceId, { seq: c.deviceSeq, hash: c.hash });
    }
    count++;
  }
  return { ok: true, count };
}

/** Checks one link of a chain; `laterHas(s)` tells whether position s appears somewhere in the input. */
function follow(
  head: Link | undefined,
  seq: number,
  prevHash: string | undefined,
  laterHas: (seq: number) => boolean,
): { problem: ChainProblem; detail: string } | undefined {
  if (head === undefined) {
    if (seq !== 1) return { problem: 'missing-start', detail: `chain starts at ${seq}, not 1` };
    if (prevHash !== undefined) return { problem: 'broken-link', detail: 'first change names a predecessor' };
    return undefined;
  }
  if (seq <= head.seq) return { problem: 'out-of-order', detail: `${seq} comes after ${head.seq}` };
  if (seq !== head.seq + 1) {
    const missing = head.seq + 1;
    return laterHas(missing)
      ? { problem: 'out-of-order', detail: `${seq} comes before ${missing}` }
      : { problem: 'seq-gap', detail: `${missing} is missing before ${seq}` };
  }
  if (prevHash !== head.hash) return { problem: 'broken-link', detail: `${seq} does not link to the hash of ${head.seq}` };
  return undefined;
}
