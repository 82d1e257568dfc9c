import { randomBytes } from 'node:crypto';
import {
  CommandBodySchema,
  deviceIdOfAlert,
  type Command,
  type CommandResult,
  type RawEnvelope,
} from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';

/** Makes ids unique across gateway instances and restarts without coordination: `<boot>.<n>`. */
export function idSource(gatewayId: string): () => string {
  const boot = `${gatewayId}.${randomBytes(4).toString('hex')}`;
  let n = 0;
  return () => `${boot}.${(n++).toString(36)}`;
}

/**
 * The raw envelope for a device publish or a frame from a protocol listener. Telemetry in a binary
 * format (SL 651, GB/T 26875.3) travels as base64;
 * status messages (`online`/`offline`) are text whatever the device's telemetry format.
 */
export function rawEnvelope(id: string, device: Device, topic: string, payload: Buffer, receivedAt: number, status = false): RawEnvelope {
  const binary = !status && (device.format === 'sl651' || device.format === 'gbt26875');
  return {
    id,
    deviceId: device.id,
    kind: device.kind,
    format: device.format,
    topic,
    receivedAt,
    encoding: binary ? 'base64' : 'utf8',
    payload: payload.toString(binary ? 'base64' : 'utf8'),
  };
}

export type CommandParse = { ok: true; command: Command } | { ok: false; result: CommandResult };

/**
 * An operator's command publish: the body says what to do, the connection says who does it
 * (the actor is the authenticated operator, never a field of the payload).
 */
export function parseCommand(id: string, operatorId: string, payload: Buffer, at: number): CommandParse {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return refused(id, operatorId, at, undefined, 'GANZHI_ERR_GW_BAD_COMMAND', 'command payload is not valid JSON');
  }
  const parsed = CommandBodySchema.safeParse(body);
  if (!parsed.success) {
    const reason = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    const alertId = typeof (body as { alertId?: unknown })?.alertId === 'string' ? (body as { alertId: string }).alertId : undefined;
    return refused(id, operatorId, at, alertId, 'GANZHI_ERR_GW_BAD_COMMAND', `invalid command: ${reason}`);
  }
  const deviceId = deviceIdOfAlert(parsed.data.alertId);
  if (!deviceId) {
    return refused(id, operatorId, at, parsed.data.alertId, 'GANZHI_ERR_ALERT_NOT_FOUND', `no such alert "${parsed.data.alertId}"`);
  }
  return { ok: true, command: { ...parsed.data, id, deviceId, actor: operatorId, via: 'mqtt', at } };
}

function refused(id: string, actor: string, at: number, alertId: string | undefined, code: string, reason: string): CommandParse {
  return {
    ok: false,
    result: { commandId: id, alertId: alertId ?? '-', actor, ok: false, code, reason, at },
  };
}
