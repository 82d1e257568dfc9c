import type { DeviceKind, PayloadFormat, RawEnvelope } from '@ganzhi/schemas';
import type { Device } from '@ganzhi/registry';
import hj212Vectors from './hj212.json';
import sl651Vectors from './sl651.json';

/** Test fixtures: devices and envelopes. The vector files are copies of shared/domain/vectors. */

export interface Hj212Vector {
  id: string;
  frame: string;
  expected: Record<string, unknown> & {
    declaredLen: number;
    lenValid: boolean;
    crcInFrame: string;
    crcHj212Computed: string;
    cpFields?: Record<string, string>;
    DataTime?: string;
    pollutants: Record<string, Record<string, string>>;
  };
  crcValid: boolean;
  crcVariantThatMatches: string | null;
}

export interface Sl651Vector {
  id: string;
  frame: string;
  expected: Record<string, unknown> & {
    body?: { station: string; stationClass: string; obsTimes: string[]; elements: { id: string; value: number; obsTime: string }[] };
  };
  crcValid: boolean;
}

export const HJ212_VECTORS = hj212Vectors as unknown as Hj212Vector[];
export const SL651_VECTORS = sl651Vectors as unknown as Sl651Vector[];

/** 2025-01-01T00:00:00Z: after every vector's timestamps. */
export const RECEIVED_AT = Date.UTC(2025, 0, 1);

export function device(kind: DeviceKind, over: Partial<Device> = {}): Device {
  return {
    id: 'dev-1',
    kind,
    site: 'site-a',
    format: 'json',
    secret: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==',
    reportIntervalSec: 300,
    attributes: {},
    ...over,
  };
}

export function envelope(kind: DeviceKind, payload: string, over: Partial<RawEnvelope> & { format?: PayloadFormat } = {}): RawEnvelope {
  return {
    id: 'env-1',
    deviceId: 'dev-1',
    kind,
    format: 'json',
    topic: 'devices/dev-1/telemetry',
    receivedAt: RECEIVED_AT,
    encoding: 'utf8',
    payload,
    ...over,
  };
}
