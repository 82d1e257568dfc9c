import { verifyChain, type ChainVerdict } from '@ganzhi/alerts';
import type { AlertChange } from '@ganzhi/schemas';

export interface AuditReport {
  ok: boolean;
  devices: number;
  events: number;
  problems: Array<{ deviceId: string } & Exclude<ChainVerdict, { ok: true }>>;
}

/**
 * Verifies the hash chains of stored alert history, device by device. Each device's changes are
 * put in chain order (deviceSeq, which every hash covers): an edited, deleted or inserted event
 * breaks a hash or leaves a gap, and is reported with the alert and position where it shows.
 */
export function auditAlertHistory(history: readonly AlertChange[]): AuditReport {
  const byDevice = new Map<string, AlertChange[]>();
  for (const c of history) {
    const list = byDevice.get(c.deviceId);
    if (list) list.push(c);
    else byDevice.set(c.deviceId, [c]);
  }
  const problems: AuditReport['problems'] = [];
  for (const [deviceId, changes] of byDevice) {
    changes.sort((a, b) => (a.deviceSeq ?? 0) - (b.deviceSeq ?? 0) || a.seq - b.seq);
    const verdict = verifyChain(changes, { device: true });
    if (!verdict.ok) problems.push({ deviceId, ...verdict });
  }
  return { ok: problems.length === 0, devices: byDevice.size, events: history.length, problems };
}
