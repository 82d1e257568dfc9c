import type { GatewayConfig } from '../config';
import { gbt26875Spec } from './gbt26875-spec';
import { hj212Spec } from './hj212-tcp';
import { createHub, type HubDeps, type LinkStats } from './hub';
import { tcpListener, udpListener, type Listener } from './listeners';
import { sl651Spec } from './sl651-tcp';
import type { ProtocolSpec } from './spec';

export type { LinkStats } from './hub';
export { hj212Spec, hj212Ack, hj212Answer, splitHj212 } from './hj212-tcp';
export { sl651Spec, sl651Ack, splitSl651 } from './sl651-tcp';
export { gbt26875Spec, splitGbt26875 } from './gbt26875-spec';
export { mqttAnswer } from './mqtt-answer';

export interface ProtocolPorts {
  hj212?: number;
  sl651?: number;
  gbt26875Tcp?: number;
  gbt26875Udp?: number;
}

export interface ProtocolLinks {
  start(): Promise<void>;
  close(): Promise<void>;
  /** Bound ports of the listeners that run. */
  ports(): ProtocolPorts;
  stats(): Readonly<LinkStats>;
}

/**
 * The listeners for devices that do not speak MQTT: HJ 212 and SL 651 over TCP, GB/T 26875.3 over
 * TCP and UDP, each on its own port and only when that port is configured.
 */
export function buildProtocolLinks(config: GatewayConfig, deps: HubDeps): ProtocolLinks {
  const host = config.GANZHI_PROTOCOL_HOST ?? config.GANZHI_MQTT_HOST;
  const maxBuffer = config.GANZHI_PROTOCOL_MAX_BUFFER_BYTES;
  const plan: [keyof ProtocolPorts, ProtocolSpec, number | undefined, number, 'tcp' | 'udp'][] = [
    ['hj212', hj212Spec, config.GANZHI_HJ212_PORT, config.GANZHI_HJ212_IDLE_SEC, 'tcp'],
    ['sl651', sl651Spec, config.GANZHI_SL651_PORT, config.GANZHI_SL651_IDLE_SEC, 'tcp'],
    ['gbt26875Tcp', gbt26875Spec, config.GANZHI_GBT26875_TCP_PORT, config.GANZHI_GBT26875_IDLE_SEC, 'tcp'],
    ['gbt26875Udp', gbt26875Spec, config.GANZHI_GBT26875_UDP_PORT, config.GANZHI_GBT26875_IDLE_SEC, 'udp'],
  ];
  const active = plan.filter(([, , port]) => port !== undefined);
  const specs = [...new Set(active.map(([, spec]) => spec))];
  const hub = createHub(specs, deps);
  const listeners = new Map<keyof ProtocolPorts, Listener>();
  for (const [key, spec, port, idleSec, transport] of active) {
    const options = { host, port: port!, idleMs: idleSec * 1000, maxBuffer };
    listeners.set(key, transport === 'tcp' ? tcpListener(spec, hub, options) : udpListener(spec, hub, options));
  }
  return {
    stats: () => hub.stats,
    ports() {
      const out: ProtocolPorts = {};
      for (const [key, l] of listeners) out[key] = l.port();
      return out;
    },
    async start() {
      for (const l of listeners.values()) await l.start();
      if (listeners.size > 0) hub.log.info({ host, ...this.ports() }, 'protocol listeners started');
    },
    async close() {
      hub.closing = true;
      for (const l of listeners.values()) await l.close();
    },
  };
}
