import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { alertColumns, makeAlertId, type AlertChange } from '@ganzhi/schemas';
import { checkpointVerifies, createKeyring, headVerifies, signCheckpoint, signHead } from './audit-key';
import { HASH_DOMAIN, canonicalJson, hashChange, verifyChain } from './chain';
import { createAlertsCore } from './manager';
import { MIN, T0, cmd, raise, run } from './test-fixtures';
import { verifyStoredEvents } from './verify';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const ring1 = createKeyring({ k1 }, 'k1');
const ring2 = createKeyring({ k1, k2 }, 'k2'); // after a rotation: k2 current, k1 kept

function history(keyring = ring1): AlertChange[] {
  const core = createAlertsCore({}, { keyring });
  return run(core, [raise('yellow', T0), raise('red', T0 + MIN), cmd(makeAlertId('rg-001', 'water-level', T0), 'acknowledge', T0 + 2 * MIN, { actor: 'op-li' })]).changes;
}

describe('keyed audit chain', () => {
  it('keys every change with the current key and names it', () => {
    const h = history();
    expect(h.length).toBeGreaterThanOrEqual(3);
    for (const c of h) {
      expect(c.keyId).toBe('k1');
      expect(c.hash).toBe(hashChange(c, ring1));
    }
    expect(verifyChain(h, { device: true, keyring: ring1 })).toMatchObject({ ok: true });
  });

  it('does not verify without the key, nor under another key', () => {
    const h = history();
    expect(verifyChain(h, { keyring: createKeyring({ k1: randomBytes(32) }, 'k1') })).toMatchObject({ ok: false, problem: 'hash-mismatch' });
    expect(verifyChain(h, { keyring: createKeyring({ k9: randomBytes(32) }, 'k9') })).toMatchObject({ ok: false, problem: 'unknown-key' });
  });

  it('catches an edit re-hashed with SHA-256, keyId kept or dropped', () => {
    const h = history();
    const edited = { ...h[1]!, level: 'blue' as const };
    const { hash: _h, ...rest } = edited;
    edited.hash = createHash('sha256').update(HASH_DOMAIN).update(canonicalJson(rest)).digest('hex');
    expect(verifyChain([h[0]!, edited, ...h.slice(2)], { keyring: ring1 })).toMatchObject({ ok: false, seq: 2, problem: 'hash-mismatch' });
    const { keyId: _k, ...unkeyed } = edited;
    const { hash: _h2, ...rest2 } = unkeyed;
    const plain = { ...unkeyed, hash: createHash('sha256').update(HASH_DOMAIN).update(canonicalJson(rest2)).digest('hex') };
    expect(verifyChain([h[0]!, plain, ...h.slice(2)], { keyring: ring1 })).toMatchObject({ ok: false, problem: 'unkeyed' });
  });

  it('still verifies history keyed before a rotation, beside history keyed after it', () => {
    const before = history(ring1);
    expect(verifyChain(before, { keyring: ring2 })).toMatchObject({ ok: true });
    expect(history(ring2).every((c) => c.keyId === 'k2')).toBe(true);
  });

  it('signs heads and checkpoints; an edited one does not verify', () => {
    const head = signHead(ring1, { deviceId: 'rg-001', seq: 3, hash: 'a'.repeat(64), at: T0 });
    expect(headVerifies(ring1, head)).toBe(true);
    expect(headVerifies(ring1, { ...head, seq: 2 })).toBe(false);
    const cp = signCheckpoint(ring1, { id: 'cp-1', at: T0, heads: [{ deviceId: 'rg-001', seq: 3, hash: 'a'.repeat(64) }] });
    expect(checkpointVerifies(ring1, cp)).toBe(true);
    expect(checkpointVerifies(ring1, { ...cp, heads: [] })).toBe(false);
    expect(checkpointVerifies(ring2, cp)).toBe(true); // k1 is still in the rotated ring
  });
});

describe('verifying stored events', () => {
  const stored = (h: AlertChange[]) => h.map((change) => ({ change, columns: alertColumns(change) }));

  it('compares every stored column with the signed change', () => {
    const events = stored(history());
    events[2]!.columns = { ...events[2]!.columns, actor: 'op-bob' };
    const report = verifyStoredEvents(events, { keyring: ring1 });
    expect(report.first).toMatchObject({ problem: 'column-mismatch', seq: expect.any(Number) });
    expect(report.first!.detail).toContain('actor');
  });

  it('reports the newest events deleted against a signed head, and a forged head', () => {
    const h = history();
    const last = h[h.length - 1]!;
    const head = signHead(ring1, { deviceId: last.deviceId, seq: last.deviceSeq!, hash: last.hash!, at: T0 });
    expect(verifyStoredEvents(stored(h), { keyring: ring1, heads: [head] })).toMatchObject({ ok: true, checkpointed: 1 });
    expect(verifyStoredEvents(stored(h.slice(0, -1)), { keyring: ring1, heads: [head] }).first).toMatchObject({ problem: 'missing-newest' });
    expect(verifyStoredEvents(stored(h.slice(0, -1)), { keyring: ring1, heads: [{ ...head, seq: head.seq - 1 }] }).first).toMatchObject({ problem: 'checkpoint-forged' });
  });
});
