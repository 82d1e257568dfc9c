import { COMPONENT_STATE_BITS, encodeGbt26875App, encodeGbt26875Frame, gbt26875Bits, type Gbt26875ObjectInput } from '@ganzhi/codecs';
import type { EncodeInput } from './encode';

/*
 * A user information transmission device (UITD, GB/T 26875.3-2011) reporting what a fire sensor
 * model samples: the detector as a component of fire alarm system 1 (photoelectric smoke
 * detector, component type 42) whose state carries the fire alarm bit, and analog values
 * (temperature 0.1 degC, pressure 0.1 MPa as the standard scales them).
 */

/** The UITD's 12-hex-digit source address (device attribute `address`, else one derived from the id). */
export function uitdAddressOf(device: EncodeInput['device']): string {
  const a = device.attributes.address;
  if (typeof a === 'string') return a.toUpperCase();
  let h = 2166136261;
  for (let i = 0; i < device.id.length; i++) h = Math.imul(h ^ device.id.charCodeAt(i), 16777619);
  return `0000${(h >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

export const CENTRE_ADDRESS = '000000000001';
const SYSTEM = { type: 1, address: 1 };
const SMOKE_ALARM = 4;
const DETECTOR = { type: 42, address: 0x0101 };
const HEAT = { type: 31, address: 0x0102 };
const HYDRANT = { type: 0, address: 0x0201 };
const SPRINKLER = { type: 99, address: 0x0202 };

/** One frame per object type the sample fills (component states, then analog values), concatenated. */
export function encodeFireGbt26875({ device, ts, sample, seq }: EncodeInput): Uint8Array {
  const units: Gbt26875ObjectInput[][] = [];
  // the detector alarms at 4 %/m obscuration (the fire-smoke-obscuration rule's orange, EN 54-7 range)
  const smoke = sample.metrics.smoke;
  const alarm = sample.metrics.smokeAlarm ?? (smoke === undefined ? undefined : smoke >= SMOKE_ALARM ? 1 : 0);
  if (alarm !== undefined) {
    const state = gbt26875Bits(COMPONENT_STATE_BITS, alarm >= 1 ? ['normal', 'fireAlarm'] : ['normal']);
    units.push([{ type: 'componentState', system: SYSTEM, component: DETECTOR, state, description: `${device.id} smoke`, time: ts }]);
  }
  const analog: Gbt26875ObjectInput[] = [];
  const add = (component: { type: number; address: number }, analogType: number, value: number | undefined, scale: number) => {
    if (value !== undefined) analog.push({ type: 'componentAnalog', system: SYSTEM, component, analogType, raw: Math.round(value / scale), time: ts });
  };
  add(HEAT, 3, sample.metrics.temperature ?? sample.metrics.heat, 0.1);
  add(HYDRANT, 5, sample.metrics.hydrantPressure === undefined ? undefined : sample.metrics.hydrantPressure * 1000, 0.1);
  add(SPRINKLER, 5, sample.metrics.sprinklerPressure === undefined ? undefined : sample.metrics.sprinklerPressure * 1000, 0.1);
  if (analog.length > 0) units.push(analog);
  if (units.length === 0) units.push([{ type: 'uitdState', state: 1, time: ts }]);
  const source = uitdAddressOf(device);
  return Buffer.concat(
    units.map((objects, i) =>
      encodeGbt26875Frame({ serial: (seq * 4 + i) & 0xffff, time: ts, source, destination: CENTRE_ADDRESS, command: 'send', appData: encodeGbt26875App(objects) }),
    ),
  );
}
