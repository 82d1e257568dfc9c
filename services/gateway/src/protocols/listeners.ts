import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Hub, Transport } from './hub';
import { createSession, type Session } from './session';
import type { ProtocolSpec } from './spec';

export interface ListenerOptions {
  host: string;
  port: number;
  /** A connection (or UDP peer) silent this long is closed (offline). */
  idleMs: number;
  maxBuffer: number;
}

export interface Listener {
  readonly name: string;
  start(): Promise<void>;
  close(): Promise<void>;
  port(): number;
}

/**
 * A TCP listener for one protocol. Reading is paused while a chunk's frames are being appended
 * and answered, so a slow bus holds the device back (as withheld PUBACKs do) instead of filling
 * memory; answers the device does not read count against the same buffer limit.
 */
export function tcpListener(spec: ProtocolSpec, hub: Hub, options: ListenerOptions): Listener {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  return {
    name: `${spec.name}/tcp`,
    port: () => (server?.address() as AddressInfo | null)?.port ?? 0,
    async start() {
      server = createServer((socket) => {
        sockets.add(socket);
        hub.stats.connections++;
        socket.setNoDelay(true);
        const transport: Transport = {
          protocol: spec.name,
          remoteAddress: socket.remoteAddress ?? '',
          remotePort: socket.remotePort ?? 0,
          write(bytes) {
            socket.write(bytes);
            if (socket.writableLength > options.maxBuffer) {
              hub.stats.overflowClosed++;
              socket.destroy();
            }
          },
          close: () => socket.destroy(),
        };
        const session = createSession(spec, hub, transport, { maxBuffer: options.maxBuffer, datagram: false });
        socket.setTimeout(options.idleMs, () => {
          hub.stats.idleClosed++;
          socket.destroy();
        });
        socket.on('data', (chunk: Buffer) => {
          socket.pause();
          void session.feed(chunk).then(() => {
            if (!socket.destroyed) socket.resume();
          });
        });
        socket.on('error', () => undefined); // resets and timeouts end in 'close'
        socket.on('close', () => {
          sockets.delete(socket);
          session.ended();
        });
      });
      await listenTcp(server, options.port, options.host);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}

/** Most UDP peers tracked at once; datagrams from further peers are dropped until some go idle. */
const MAX_UDP_PEERS = 10_000;

/** A UDP listener: each peer address is a session, forgotten (offline) after the idle time. */
export function udpListener(spec: ProtocolSpec, hub: Hub, options: ListenerOptions): Listener {
  let socket: UdpSocket | undefined;
  const peers = new Map<string, { session: Session; timer: NodeJS.Timeout }>();

  function forget(key: string): void {
    const peer = peers.get(key);
    if (!peer) return;
    clearTimeout(peer.timer);
    peers.delete(key);
    peer.session.ended();
  }

  return {
    name: `${spec.name}/udp`,
    port: () => {
      try {
        return socket?.address().port ?? 0;
      } catch {
        return 0;
      }
    },
    async start() {
      const udp = createSocket(options.host.includes(':') ? 'udp6' : 'udp4');
      socket = udp;
      udp.on('message', (msg, rinfo) => {
        const key = `${rinfo.address}:${rinfo.port}`;
        let peer = peers.get(key);
        if (!peer) {
          if (peers.size >= MAX_UDP_PEERS) return;
          hub.stats.connections++;
          const transport: Transport = {
            protocol: spec.name,
            remoteAddress: rinfo.address,
            remotePort: rinfo.port,
            write: (bytes) => udp.send(bytes, rinfo.port, rinfo.address),
            close: () => forget(key),
          };
          const session = createSession(spec, hub, transport, { maxBuffer: options.maxBuffer, datagram: true });
          peer = { session, timer: setTimeout(() => undefined, 0) };
          peers.set(key, peer);
        }
        clearTimeout(peer.timer);
        peer.timer = setTimeout(() => {
          hub.stats.idleClosed++;
          forget(key);
        }, options.idleMs);
        peer.timer.unref();
        void peer.session.feed(msg);
      });
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(options.port, options.host, () => {
          udp.off('error', reject);
          udp.on('error', (err) => hub.log.error({ err }, `${spec.name}/udp socket error`));
          resolve();
        });
      });
    },
    async close() {
      for (const key of [...peers.keys()]) forget(key);
      await new Promise<void>((resolve) => (socket ? socket.close(() => resolve()) : resolve()));
    },
  };
}

function listenTcp(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
