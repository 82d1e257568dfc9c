import type { DeviceSpec } from './devices';

/** Messages between the bench (parent) and a load worker (child process, IPC). */
export type ToWorker =
  | {
      type: 'connect';
      host: string;
      port: number;
      devices: DeviceSpec[];
      /** Unacknowledged publishes per device. */
      window: number;
      /** Connections opened at once. */
      concurrency: number;
      /** Send username/password (false: anonymous, for brokers without auth). */
      auth: boolean;
      /** MQTT keep-alive in seconds (0, the default: none); a connection silent that long sends PINGREQ. */
      keepaliveSec?: number;
    }
  /** msgs/s for this worker; 0 = closed loop (every device keeps `window` publishes in flight). */
  | { type: 'rate'; rate: number; window?: number }
  /** Red spikes per second over this worker's river gauges (0 = none). */
  | { type: 'spikes'; perSec: number }
  | { type: 'mark' }
  /** Stop publishing; reply when nothing is in flight (or after `timeoutMs`). */
  | { type: 'stop'; timeoutMs: number }
  | { type: 'close' };

export interface Spike {
  readonly deviceId: string;
  readonly value: number;
  /** Epoch ms (fractional) when the PUBLISH was written. */
  readonly sentAt: number;
}

export interface Mark {
  type: 'mark';
  /** Cumulative counters. */
  sent: number;
  acked: number;
  /** Publishes due by the rate that no device could take (its window full). */
  throttled: number;
  inflight: number;
  connected: number;
  /** Connections the server closed or that failed after connecting. */
  dropped: number;
  /** PUBACK latency histogram since the previous mark (see lib/hist). */
  hist: number[];
  /** Spikes sent since the previous mark. */
  spikes: Spike[];
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'connected'; connected: number; failed: number; busyRetries: number; ms: number; firstError?: string }
  | Mark
  | { type: 'stopped'; inflight: number }
  | { type: 'error'; message: string };
