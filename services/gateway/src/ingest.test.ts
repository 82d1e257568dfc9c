import { describe, expect, it } from 'vitest';
import type { Device } from '@ganzhi/registry';
import { idSource, parseCommand, rawEnvelope } from './ingest';

const sl651 = { id: 'gauge-002', kind: 'river_gauge', format: 'sl651', secret: 'x', reportIntervalSec: 300, attributes: {} } as Device;

describe('gateway ingest', () => {
  it('carries binary telemetry as base64 but a status message as text, whatever the device format', () => {
    const frame = Buffer.from([0x7e, 0x7e, 0x01, 0x00]);
    expect(rawEnvelope('1', sl651, 'devices/gauge-002/telemetry', frame, 5)).toMatchObject({ encoding: 'base64', payload: frame.toString('base64') });
    expect(rawEnvelope('2', sl651, 'devices/gauge-002/status', Buffer.from('offline'), 5, true)).toMatchObject({ encoding: 'utf8', payload: 'offline' });
  });

  it('makes ids unique per gateway boot', () => {
    const a = idSource('gw');
    const b = idSource('gw');
    const ids = new Set([a(), a(), b(), b()]);
    expect(ids.size).toBe(4);
  });

  it('takes the actor of a command from the connection, never from the payload', () => {
    const out = parseCommand('c1', 'op-bob', Buffer.from(JSON.stringify({ alertId: 'gauge-001:r:1', action: 'acknowledge', actor: 'op-alice' })), 7);
    expect(out).toMatchObject({ ok: true, command: { actor: 'op-bob', deviceId: 'gauge-001', via: 'mqtt', at: 7 } });
  });

  it.each([
    ['not json', 'GANZHI_ERR_GW_BAD_COMMAND'],
    [JSON.stringify({ alertId: 'gauge-001:r:1', action: 'explode' }), 'GANZHI_ERR_GW_BAD_COMMAND'],
    [JSON.stringify({ alertId: 'no-device-part', action: 'close' }), 'GANZHI_ERR_ALERT_NOT_FOUND'],
  ])('refuses the command %s with %s', (payload, code) => {
    const out = parseCommand('c2', 'op-bob', Buffer.from(payload), 7);
    expect(out).toMatchObject({ ok: false, result: { ok: false, code, actor: 'op-bob' } });
  });
});
