import { sl651Bytes } from '@ganzhi/codecs';
import type { Device } from '@ganzhi/registry';
import { units } from './framing';
import { hj212Spec } from './hj212-tcp';
import { sl651Spec } from './sl651-tcp';
import type { ProtocolSpec } from './spec';

/** Most frames answered in one MQTT payload. */
const MAX_FRAMES = 64;

/**
 * The answers an HJ 212 or SL 651 device publishing over MQTT asked for, as the TCP listeners
 * would write them (HJ 212 CN 9014 when Flag asks, SL 651 acknowledgements in acknowledged modes,
 * the negative answers to a bad CRC), concatenated into one payload for
 * `devices/{id}/commands/answer`; undefined when nothing is to be answered. Call it only after the
 * publish is durably on the bus.
 */
export function mqttAnswer(device: Device, payload: Buffer, now: number): Buffer | undefined {
  let spec: ProtocolSpec;
  let bytes: Buffer;
  let hexText = false;
  if (device.format === 'hj212') {
    spec = hj212Spec;
    bytes = payload;
  } else if (device.format === 'sl651') {
    spec = sl651Spec;
    const bin = sl651Bytes(payload.toString('base64'), 'base64');
    if (bin === undefined) return undefined;
    // a HEX frame written as hex text ("7E7E...") is answered in hex text; binary and ASCII mode as they are
    hexText = payload[0] === 0x37 && (payload[1] === 0x45 || payload[1] === 0x65);
    bytes = Buffer.from(bin);
  } else return undefined;
  const answers: Buffer[] = [];
  for (const unit of units(spec.split, bytes, MAX_FRAMES)) {
    if (unit.type !== 'frame') continue;
    const verdict = spec.judge(unit.bytes, device, now);
    if (verdict.answer) answers.push(verdict.answer);
  }
  if (answers.length === 0) return undefined;
  const out = Buffer.concat(answers);
  return hexText ? Buffer.from(out.toString('hex').toUpperCase()) : out;
}
