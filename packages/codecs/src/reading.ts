import type { MetricValue, RawEnvelope, Reading } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';

export type Metrics = Record<string, MetricValue>;
export type States = Record<string, string | boolean>;

/** One reading of `device` at `ts`; `site` and `states` are left out when there are none. */
export function makeReading(raw: RawEnvelope, device: Device, ts: number, metrics: Metrics, states: States | undefined): Reading {
  const reading: Reading = {
    deviceId: device.id,
    kind: device.kind,
    ts,
    metrics,
    sourceId: raw.id,
    receivedAt: raw.receivedAt,
  };
  if (device.site !== undefined) reading.site = device.site;
  if (states !== undefined) reading.states = states;
  return reading;
}

/** The payload's bytes: base64 is decoded, UTF-8 text is encoded. */
export function payloadBytes(raw: RawEnvelope): Buffer {
  return Buffer.from(raw.payload, raw.encoding === 'base64' ? 'base64' : 'utf8');
}

/** The payload as text: base64 is decoded as UTF-8. */
export function payloadText(raw: RawEnvelope): string {
  return raw.encoding === 'base64' ? Buffer.from(raw.payload, 'base64').toString('utf8') : raw.payload;
}
