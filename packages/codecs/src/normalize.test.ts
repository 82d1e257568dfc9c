import { describe, expect, it } from 'vitest';
import type { RawEnvelope } from '@ganzhi/schemas';
import { normalize } from './normalize';
import { device, envelope } from './__vectors__/fixtures';

describe('normalize()', () => {
  it('rejects a device that is not in the registry', () => {
    const r = normalize(envelope('river_gauge', '{"waterLevel":1}'), undefined);
    expect(r).toEqual({ ok: false, code: 'GANZHI_ERR_NORM_UNKNOWN_DEVICE', reason: 'device dev-1 is not in the registry' });
  });

  it('rejects an envelope whose kind differs from the registered kind', () => {
    const r = normalize(envelope('air_monitor', '{"pm25":1}'), device('river_gauge'));
    expect(!r.ok && r.code).toBe('GANZHI_ERR_NORM_UNKNOWN_DEVICE');
    expect(!r.ok && r.reason).toMatch(/air_monitor.*river_gauge/);
  });

  it('rejects an envelope handed the registry entry of another device', () => {
    const r = normalize(envelope('river_gauge', '{"waterLevel":1}'), device('river_gauge', { id: 'dev-2' }));
    expect(!r.ok && r.code).toBe('GANZHI_ERR_NORM_UNKNOWN_DEVICE');
  });

  it('reports an unknown payload format as unsupported instead of throwing', () => {
    const raw = { ...envelope('river_gauge', '{}'), format: 'modbus' } as unknown as RawEnvelope;
    const r = normalize(raw, device('river_gauge'));
    expect(!r.ok && r.code).toBe('GANZHI_ERR_NORM_UNSUPPORTED');
  });

  it('dispatches on the envelope format, not on what the payload looks like', () => {
    const r = normalize(envelope('river_gauge', '{"waterLevel":1}', { format: 'sl651' }), device('river_gauge'));
    expect(!r.ok && r.code).toBe('GANZHI_ERR_NORM_BAD_FRAME');
  });
});
