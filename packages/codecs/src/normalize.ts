import type { RawEnvelope } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import { decodeHj212Telemetry } from './hj212-readings';
import { decodeGbt26875Telemetry } from './gbt26875-readings';
import { decodeJsonTelemetry } from './json';
import { fail, type NormalizeResult } from './result';
import { decodeSl651Telemetry } from './sl651-readings';

/**
 * The normalizer's pure core: one raw envelope and its registered device to readings, or a typed
 * failure for the dead-letter topic. No I/O, no clock, no logger.
 */
export function normalize(raw: RawEnvelope, device: Device | undefined): NormalizeResult {
  if (device === undefined) return fail('GANZHI_ERR_NORM_UNKNOWN_DEVICE', `device ${raw.deviceId} is not in the registry`);
  if (device.id !== raw.deviceId) return fail('GANZHI_ERR_NORM_UNKNOWN_DEVICE', `envelope is for ${raw.deviceId}, registry entry is ${device.id}`);
  if (device.kind !== raw.kind) return fail('GANZHI_ERR_NORM_UNKNOWN_DEVICE', `envelope kind ${raw.kind} does not match registered kind ${device.kind} of ${device.id}`);
  const format = raw.format;
  switch (format) {
    case 'json':
      return decodeJsonTelemetry(raw, device);
    case 'hj212': // HJ 212-2017 §6.3, domain README §1
      return decodeHj212Telemetry(raw, device);
    case 'sl651': // SL 651-2014 HEX mode, domain README §2
      return decodeSl651Telemetry(raw, device);
    case 'gbt26875': // GB/T 26875.3-2011, domain README §5.1
      return decodeGbt26875Telemetry(raw, device);
    default: {
      const never: never = format;
      return fail('GANZHI_ERR_NORM_UNSUPPORTED', `payload format ${String(never)} is not supported`);
    }
  }
}
