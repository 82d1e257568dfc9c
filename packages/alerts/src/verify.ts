import { alertColumns, type AlertChange, type AlertColumns, type AuditCheckpoint, type AuditHead, type StoredAlertEvent } from '@ganzhi/schemas';
import { checkpointVerifies, headVerifies, type AuditKeyring } from './audit-key';
import { verifyChain, type ChainProblem } from './chain';

export type StoredColumns = AlertColumns;
export type StoredEvent = StoredAlertEvent | { change: AlertChange; columns?: undefined };

export type AuditProblemKind =
  | ChainProblem
  | 'column-mismatch' // a flattened column differs from the signed change (SQL edit of a column)
  | 'missing-newest' // the store ends before the device's checkpointed head: newest events deleted
  | 'checkpoint-mismatch' // the event at the checkpointed position is not the one checkpointed
  | 'checkpoint-forged'; // a checkpoint or head whose signature does not hold (replaced or edited)

export interface AuditProblem {
  deviceId: string;
  alertId?: string;
  seq?: number;
  deviceSeq?: number;
  problem: AuditProblemKind;
  chain?: 'alert' | 'device';
  detail: string;
}

export interface AuditReport {
  ok: boolean;
  devices: number;
  events: number;
  /** Heads (from checkpoints) the store was checked against. */
  checkpointed: number;
  /** The first problem of each device whose history does not verify. */
  problems: AuditProblem[];
  /** The first bad event overall (the first problem), for a one-line verdict. */
  first?: AuditProblem;
}

export interface VerifyStoredOptions {
  /** The audit keyring; without one, unkeyed (sha256) chains are accepted. */
  keyring?: AuditKeyring;
  /** Signed device heads (`ganzhi.audit-heads.v1`): the store must reach each one. */
  heads?: readonly AuditHead[];
  /** A signed checkpoint an operator exported: the store must reach each of its heads. */
  checkpoint?: AuditCheckpoint;
  /** Only these devices (e.g. `?deviceId=`); heads of other devices are ignored. */
  deviceId?: string;
}

/** The first column whose stored value differs from the one derived from the signed change. */
export function columnMismatch(stored: AlertColumns, change: AlertChange): { column: keyof AlertColumns; stored: unknown; signed: unknown } | undefined {
  const expected = expectedColumns(change);
  for (const column of Object.keys(expected) as (keyof AlertColumns)[]) {
    const a = stored[column];
    const b = expected[column];
    if (a !== b && !(typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) <= Math.abs(b) * 1e-12)) return { column, stored: a, signed: b };
  }
  return undefined;
}

export const expectedColumns = alertColumns;

/**
 * Verifies stored alert history, device by device (each device's changes in chain order):
 * every stored column against the signed change, the keyed hash chains per alert and per device,
 * and the store against the newest signed heads (so deleting a device's newest events, which no
 * later link would reveal, is caught). Each device reports its first problem; `first` names the
 * first bad event of all.
 */
export function verifyStoredEvents(events: readonly StoredEvent[], options: VerifyStoredOptions = {}): AuditReport {
  const byDevice = new Map<string, StoredEvent[]>();
  for (const e of events) {
    const list = byDevice.get(e.change.deviceId);
    if (list) list.push(e);
    else byDevice.set(e.change.deviceId, [e]);
  }
  const problems: AuditProblem[] = [];
  const heads = new Map<string, { seq: number; hash: string; source: string }>();
  let checkpointed = 0;

  for (const h of options.heads ?? []) {
    if (options.deviceId !== undefined && h.deviceId !== options.deviceId) continue;
    if (!options.keyring || !headVerifies(options.keyring, h)) {
      problems.push({ deviceId: h.deviceId, deviceSeq: h.seq, problem: 'checkpoint-forged', detail: `the head checkpoint of ${h.deviceId} (deviceSeq ${h.seq}) is not signed with the audit key: replaced or edited` });
      continue;
    }
    heads.set(h.deviceId, { seq: h.seq, hash: h.hash, source: `head checkpoint of ${new Date(h.at).toISOString()}` });
  }
  const cp = options.checkpoint;
  if (cp) {
    if (!options.keyring || !checkpointVerifies(options.keyring, cp)) {
      problems.push({ deviceId: '-', problem: 'checkpoint-forged', detail: `checkpoint ${cp.id} is not signed with the audit key (key "${cp.keyId}"): replaced or edited` });
    } else {
      for (const h of cp.heads) {
        if (options.deviceId !== undefined && h.deviceId !== options.deviceId) continue;
        const known = heads.get(h.deviceId);
        if (!known || known.seq < h.seq) heads.set(h.deviceId, { seq: h.seq, hash: h.hash, source: `checkpoint ${cp.id} of ${new Date(cp.at).toISOString()}` });
      }
    }
  }

  const devices = new Set([...byDevice.keys(), ...heads.keys()]);
  for (const deviceId of [...devices].sort()) {
    const list = (byDevice.get(deviceId) ?? []).slice();
    list.sort((a, b) => (a.change.deviceSeq ?? 0) - (b.change.deviceSeq ?? 0) || a.change.seq - b.change.seq);
    const problem = deviceProblem(deviceId, list, heads.get(deviceId), options.keyring);
    if (heads.has(deviceId)) checkpointed++;
    if (problem) problems.push(problem);
  }
  // in device order (a replaced checkpoint document, deviceId '-', first): the first is the first bad event
  problems.sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : (a.deviceSeq ?? 0) - (b.deviceSeq ?? 0)));
  const report: AuditReport = { ok: problems.length === 0, devices: byDevice.size, events: events.length, checkpointed, problems };
  if (problems[0]) report.first = problems[0];
  return report;
}

function deviceProblem(
  deviceId: string,
  list: readonly StoredEvent[],
  head: { seq: number; hash: string; source: string } | undefined,
  keyring: AuditKeyring | undefined,
): AuditProblem | undefined {
  const at = (c: AlertChange) => ({ deviceId, alertId: c.alertId, seq: c.seq, ...(c.deviceSeq !== undefined ? { deviceSeq: c.deviceSeq } : {}) });
  for (const e of list) {
    if (!e.columns) continue;
    const bad = columnMismatch(e.columns, e.change);
    if (bad) {
      return {
        ...at(e.change),
        problem: 'column-mismatch',
        detail: `stored column ${bad.column} is ${JSON.stringify(bad.stored)} but the signed change says ${JSON.stringify(bad.signed)}`,
      };
    }
  }
  const verdict = verifyChain(
    list.map((e) => e.change),
    { device: true, ...(keyring ? { keyring } : {}) },
  );
  if (!verdict.ok) {
    const c = list.find((e) => e.change.alertId === verdict.alertId && e.change.seq === verdict.seq)?.change;
    return { ...(c ? at(c) : { deviceId, alertId: verdict.alertId, seq: verdict.seq }), problem: verdict.problem, chain: verdict.chain, detail: verdict.detail };
  }
  if (head) {
    const last = list[list.length - 1]?.change;
    const lastSeq = last?.deviceSeq ?? 0;
    if (lastSeq < head.seq) {
      return {
        deviceId,
        deviceSeq: lastSeq + 1,
        problem: 'missing-newest',
        detail: `the ${head.source} names deviceSeq ${head.seq}, but the store ends at ${lastSeq}: events ${lastSeq + 1}..${head.seq} were deleted`,
      };
    }
    const atHead = list.find((e) => e.change.deviceSeq === head.seq)?.change;
    if (atHead && atHead.hash !== head.hash) {
      return { ...at(atHead), problem: 'checkpoint-mismatch', detail: `the event at deviceSeq ${head.seq} is not the one the ${head.source} names` };
    }
  }
  return undefined;
}
