import { BlockList, isIP } from 'node:net';
import type { Bus } from '@ganzhi/bus';
import type { Logger } from '@ganzhi/log';
import type { Device, Registry } from '@ganzhi/registry';
import { GanzhiError, type DeadLetter } from '@ganzhi/schemas';
import { rawEnvelope } from '../ingest';
import type { BadCode, ProtocolName, ProtocolSpec } from './spec';

export interface LinkStats {
  connections: number;
  /** Frames appended to ganzhi.raw.v1. */
  accepted: number;
  /** Online/offline status records appended. */
  statuses: number;
  answered: number;
  keepAlives: number;
  badFrames: number;
  garbageBytes: number;
  authFailures: number;
  replaced: number;
  idleClosed: number;
  overflowClosed: number;
}

/** A session's view of its transport (a TCP socket, or one UDP peer). */
export interface Transport {
  readonly protocol: ProtocolName;
  readonly remoteAddress: string;
  readonly remotePort: number;
  write(bytes: Buffer): void;
  /** Ends the connection (TCP) or forgets the peer (UDP). */
  close(): void;
}

export interface Binding {
  readonly transport: Transport;
  /** Called when another connection of the same device authenticated: close without an offline status. */
  replaced(): void;
}

export interface HubDeps {
  bus: Bus;
  registry: Registry;
  logger: Logger;
  now: () => number;
  nextId: () => string;
}

/**
 * What every protocol listener shares: the registry indexed by protocol identity, the peer
 * allow-lists, which connection each device is bound to, the bus appends (raw frames, status,
 * dead letters) and the counters.
 */
export interface Hub {
  readonly deps: HubDeps;
  readonly log: Logger;
  readonly stats: LinkStats;
  lookup(protocol: ProtocolName, id: string): Device | undefined;
  /** Whether `address` may speak for `device` (GB/T 26875.3 `peers`; other protocols: anyone). */
  peerAllowed(device: Device, address: string): boolean;
  /** Binds `device` to `binding`, closing a previous connection of the same device. */
  bind(device: Device, binding: Binding): void;
  /** Unbinds if `binding` is still the device's current one; returns whether it was. */
  unbind(device: Device, binding: Binding): boolean;
  appendFrame(device: Device, frame: Buffer): Promise<void>;
  appendStatus(device: Device, status: 'online' | 'offline'): Promise<void>;
  /** The gateway is shutting down: connections it closes now do not make their devices offline. */
  closing: boolean;
  deadLetter(code: BadCode | 'GANZHI_ERR_GW_BUFFER_LIMIT', reason: string, bytes: Buffer, device: Device | undefined, transport: Transport): Promise<void>;
}

const FORMAT_OF: Record<ProtocolName, Device['format']> = { hj212: 'hj212', sl651: 'sl651', gbt26875: 'gbt26875' };
const HEX_IDS = new Set<ProtocolName>(['sl651', 'gbt26875']);

/** Normalizes an identity as the index keys it: hex identities in upper case. */
export function linkKey(protocol: ProtocolName, id: string): string {
  return HEX_IDS.has(protocol) ? id.toUpperCase() : id;
}

/** `127.0.0.1`, `10.0.0.0/8`, `::1` (comma-separated) to a BlockList; throws on a bad entry. */
export function parsePeers(text: string): BlockList {
  const list = new BlockList();
  for (const entry of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [ip, bits, extra] = entry.split('/');
    const family = isIP(ip ?? '');
    if (!family || extra !== undefined) throw new Error(`"${entry}" is not an IP address or CIDR block`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(ip!, type);
    else {
      const prefix = Number(bits);
      if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128)) throw new Error(`"${entry}" has a bad prefix length`);
      list.addSubnet(ip!, prefix, type);
    }
  }
  return list;
}

export function createHub(specs: readonly ProtocolSpec[], deps: HubDeps): Hub {
  const log = deps.logger.child({ component: 'gateway-links' });
  const index = new Map<ProtocolName, Map<string, Device>>();
  const peers = new Map<string, BlockList>();
  for (const spec of specs) {
    const byId = new Map<string, Device>();
    for (const device of deps.registry.devices()) {
      if (device.format !== FORMAT_OF[spec.name]) continue;
      const id = device.attributes[spec.idAttribute];
      if (typeof id !== 'string' || id === '') continue;
      const key = linkKey(spec.name, id);
      const other = byId.get(key);
      if (other) throw new GanzhiError('GANZHI_ERR_REG_INVALID', `devices ${other.id} and ${device.id} share the ${spec.name} identity ${spec.idAttribute}=${id}`);
      byId.set(key, device);
      if (spec.name === 'gbt26875') {
        const text = device.attributes.peers;
        try {
          if (typeof text !== 'string') throw new Error('missing (a comma-separated list of IP addresses or CIDR blocks)');
          peers.set(device.id, parsePeers(text));
        } catch (err) {
          throw new GanzhiError('GANZHI_ERR_REG_INVALID', `device ${device.id}: attributes.peers ${(err as Error).message}`);
        }
      }
    }
    index.set(spec.name, byId);
  }

  const bindings = new Map<string, Binding>();
  const stats: LinkStats = { connections: 0, accepted: 0, statuses: 0, answered: 0, keepAlives: 0, badFrames: 0, garbageBytes: 0, authFailures: 0, replaced: 0, idleClosed: 0, overflowClosed: 0 };
  const { bus, now, nextId } = deps;

  return {
    deps,
    log,
    stats,
    closing: false,
    lookup: (protocol, id) => index.get(protocol)?.get(linkKey(protocol, id)),
    peerAllowed(device, address) {
      if (device.format !== 'gbt26875') return true;
      const list = peers.get(device.id);
      if (!list) return false;
      const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
      return list.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4');
    },
    bind(device, binding) {
      const previous = bindings.get(device.id);
      bindings.set(device.id, binding);
      if (previous && previous !== binding) {
        stats.replaced++;
        log.info({ deviceId: device.id, from: previous.transport.remoteAddress, to: binding.transport.remoteAddress }, 'device reconnected: previous connection closed');
        previous.replaced();
      }
    },
    unbind(device, binding) {
      if (bindings.get(device.id) !== binding) return false;
      bindings.delete(device.id);
      return true;
    },
    async appendFrame(device, frame) {
      const raw = rawEnvelope(nextId(), device, `devices/${device.id}/telemetry`, frame, now());
      await bus.publish('ganzhi.raw.v1', [{ key: raw.deviceId, value: raw }]);
    },
    async appendStatus(device, status) {
      const raw = rawEnvelope(nextId(), device, `devices/${device.id}/status`, Buffer.from(status), now(), true);
      await bus.publish('ganzhi.raw.v1', [{ key: raw.deviceId, value: raw }]);
      stats.statuses++;
    },
    async deadLetter(code, reason, bytes, device, transport) {
      const dl: DeadLetter = {
        id: nextId(),
        stage: 'gateway',
        code,
        reason: `${reason} (${bytes.length} bytes from ${transport.remoteAddress}:${transport.remotePort}${bytes.length > 1024 ? '; first 1024 kept' : ''})`.slice(0, 2048),
        at: now(),
        ...(device ? { deviceId: device.id } : {}),
        source: { topic: `${transport.protocol}:${transport.remoteAddress}`, key: device?.id ?? transport.remoteAddress, value: bytes.subarray(0, 1024).toString('base64') },
      };
      await bus.publish('ganzhi.deadletter.v1', [{ key: device?.id ?? 'gateway', value: dl }]);
    },
  };
}
