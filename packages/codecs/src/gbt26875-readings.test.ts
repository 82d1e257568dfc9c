import { describe, expect, it } from 'vitest';
import type { RawEnvelope } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import { encodeGbt26875Frame } from './gbt26875';
import { COMPONENT_STATE_BITS, OPERATION_BITS, SYSTEM_STATE_BITS, encodeGbt26875App, gbt26875Bits, type Gbt26875ObjectInput } from './gbt26875-app';
import { normalize } from './normalize';
import { encodeSl651Answer } from './sl651-answer';
import { chinaTimeToEpoch } from './time';

const VERIFIED_HEX =
  '404000000101180d11160a14000000000000060504030201300002020101' +
  '0300d90006000200a3c1c7f8a3b1b2e3dfc8b2b8d7dfc0c8000000000000000000000000000000' +
  '30121301081468' +
  '2323';

const uitd: Device = {
  id: 'uitd-1',
  kind: 'fire_sensor',
  site: 'mall-a',
  format: 'gbt26875',
  secret: 'scrypt$1$1$1$AA==$AA==',
  reportIntervalSec: 300,
  attributes: { address: '0000000000A1', peers: '127.0.0.1' },
};

function envelope(bytes: Buffer, receivedAt: number, device = uitd): RawEnvelope {
  return { id: 'r1', deviceId: device.id, kind: device.kind, format: 'gbt26875', topic: `devices/${device.id}/telemetry`, receivedAt, encoding: 'base64', payload: bytes.toString('base64') };
}

const t = Date.UTC(2026, 10, 1, 8, 0, 0);
const frame = (objects: Gbt26875ObjectInput[], source = '0000000000A1') =>
  encodeGbt26875Frame({ serial: 7, time: t, source, destination: '000000000001', command: 'send', appData: encodeGbt26875App(objects) });
const sys = { type: 1, address: 1 };

describe('GB/T 26875.3 to fire_sensor readings', () => {
  it('turns the verified frame into a fire alarm reading of its component, stamped with the component time', () => {
    const at = Date.UTC(2020, 7, 1, 12);
    const r = normalize(envelope(Buffer.from(VERIFIED_HEX, 'hex'), at), { ...uitd, attributes: { address: '000000000000' } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.readings).toHaveLength(1);
    expect(r.readings[0]).toMatchObject({
      deviceId: 'uitd-1',
      site: 'mall-a',
      ts: Date.UTC(2020, 7, 1, 11, 18, 48),
      metrics: { fireAlarm: { value: 1, unit: 'bool' } },
      states: { fireState: 'fireAlarm', component: '1/3/000600D9', location: 'Ａ区１层呷哺走廊', system: 'fire alarm system' },
    });
    expect(r.readings[0]!.metrics.fault).toBeUndefined(); // a component raises; it does not clear the panel
  });

  it('carries the controller aggregate (every class, set or clear) and clears on reset', () => {
    const state = gbt26875Bits(SYSTEM_STATE_BITS, ['normal', 'supervisory', 'mainPowerFault']);
    const r = normalize(envelope(frame([{ type: 'systemState', system: sys, state, time: t }]), t), uitd);
    expect(r.ok && r.readings[0]).toMatchObject({
      metrics: { fireAlarm: { value: 0 }, supervisory: { value: 1 }, fault: { value: 0 }, disabled: { value: 0 } },
      states: { fireState: 'supervisory', mainPowerFault: true, busFault: false },
    });
    const reset = normalize(envelope(frame([{ type: 'systemOperation', system: sys, operation: gbt26875Bits(OPERATION_BITS, ['reset']), time: t }]), t), uitd);
    expect(reset.ok && reset.readings[0]).toMatchObject({ metrics: { fireAlarm: { value: 0 }, supervisory: { value: 0 } }, states: { operation: 'reset' } });
    const silence = normalize(envelope(frame([{ type: 'systemOperation', system: sys, operation: gbt26875Bits(OPERATION_BITS, ['silence']), time: t }]), t), uitd);
    expect(silence.ok && silence.readings[0]?.metrics).toEqual({});
  });

  it('maps analog values by component: heat, cable temperature, hydrant and sprinkler pressure, residual current', () => {
    const objects: Gbt26875ObjectInput[] = [
      { type: 'componentAnalog', system: sys, component: { type: 31, address: 1 }, analogType: 3, raw: 612, time: t },
      { type: 'componentAnalog', system: sys, component: { type: 18, address: 2 }, analogType: 3, raw: 755, time: t + 1000 },
      { type: 'componentAnalog', system: { type: 11, address: 1 }, component: { type: 0, address: 3 }, analogType: 5, raw: 850, time: t + 2000 },
      { type: 'componentAnalog', system: sys, component: { type: 99, address: 4 }, analogType: 4, raw: 3, time: t + 3000 },
      { type: 'componentAnalog', system: sys, component: { type: 17, address: 5 }, analogType: 9, raw: 4, time: t + 4000 },
      { type: 'componentAnalog', system: sys, component: { type: 0, address: 6 }, analogType: 8, raw: 240, time: t + 5000 },
    ];
    const r = normalize(envelope(frame(objects), t), uitd);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.readings.map((x) => x.metrics)).toEqual([
      { temperature: { value: 61.2, unit: 'degC', quality: 'N' } },
      { cableTemperature: { value: 75.5, unit: 'degC', quality: 'N' } },
      { hydrantPressure: { value: 0.085, unit: 'MPa', quality: 'N' } },
      { sprinklerPressure: { value: 0.3, unit: 'MPa', quality: 'N' } },
      { residualCurrent: { value: 400, unit: 'mA', quality: 'N' } },
    ]); // the voltage has no fire-sensor metric
  });

  it('dead-letters a bad checksum, a frame from another source address, and a device of another kind', () => {
    const good = frame([{ type: 'uitdState', state: 1, time: t }]);
    const bad = Buffer.from(good);
    bad[bad.length - 3]! ^= 0xff;
    expect(normalize(envelope(bad, t), uitd)).toMatchObject({ ok: false, code: 'GANZHI_ERR_NORM_BAD_CRC' });
    expect(normalize(envelope(frame([{ type: 'uitdState', state: 1, time: t }], '0000000000B2'), t), uitd)).toMatchObject({ ok: false, code: 'GANZHI_ERR_NORM_UNKNOWN_DEVICE' });
    expect(normalize(envelope(good, t), { ...uitd, kind: 'river_gauge' })).toMatchObject({ ok: false });
  });

  it('gives no readings, without failing, for answers and clocks; one per frame when frames are concatenated', () => {
    const confirm = encodeGbt26875Frame({ serial: 1, time: t, source: '0000000000A1', destination: '000000000001', command: 'confirm' });
    expect(normalize(envelope(confirm, t), uitd)).toEqual({ ok: true, readings: [] });
    const both = Buffer.concat([frame([{ type: 'uitdTime', time: t }]), frame([{ type: 'componentState', system: sys, component: { type: 42, address: 9 }, state: gbt26875Bits(COMPONENT_STATE_BITS, ['normal', 'fault']), time: t }])]);
    const r = normalize(envelope(both, t), uitd);
    expect(r.ok && r.readings.map((x) => x.states?.fireState)).toEqual(['fault']);
  });
});

describe('SL 651 answers', () => {
  it('reproduces the published downlink acknowledgement of a test report (ends with ESC)', () => {
    const time = chinaTimeToEpoch(2059, 10, 11, 15, 49, 47, 0)!;
    const ack = encodeSl651Answer({ centre: 1, station: '0012345678', password: '1234', funcCode: 0x30, serial: 3, time, end: 'ESC' });
    expect(ack.toString('hex').toUpperCase()).toBe('7E7E00123456780112343080080200035910111549471B75D4');
  });
});
