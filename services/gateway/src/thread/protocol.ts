import type { MessagePort } from 'node:worker_threads';
import type { WireError } from '@ganzhi/schemas';
import type { GatewayConfig } from '../config';
import type { Gateway } from '../build';

/** What the main thread gives the gateway thread. */
export interface GatewayThreadInit {
  config: GatewayConfig;
  /** The registry file the thread loads for itself (the same file the main thread loaded). */
  registryFile: string;
  /** The service name on log lines and series (as the main thread's). */
  service: string;
  logLevel: string;
  /** The bus, served by the main thread (`serveBus`) at the other end. */
  bus: MessagePort;
}

export type ToGatewayThread =
  | { t: 'start' }
  | { t: 'close' }
  /** The disk floor changed: publishes are refused with this error while it is set. */
  | { t: 'gate'; refusal: WireError | undefined }
  | { t: 'metrics'; id: number };

export type GatewayThreadStats = ReturnType<Gateway['stats']>;

export type FromGatewayThread =
  | { t: 'ready'; stats: GatewayThreadStats }
  | { t: 'started'; ports: ReturnType<Gateway['ports']> }
  | { t: 'stats'; stats: GatewayThreadStats }
  | { t: 'closed' }
  /** A publish was refused for the disk floor (counted where the disk watch is). */
  | { t: 'refused' }
  | { t: 'failed'; op: 'build' | 'start' | 'close'; error: WireError }
  | { t: 'metrics'; id: number; series: unknown[] };
