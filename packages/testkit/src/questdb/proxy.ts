import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  /** Loopback port the proxy listens on (stable across cut/restore). */
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Outage: stop listening (new connections are refused) and reset every open connection. */
  cut(): Promise<void>;
  /** Listen again on the same port. */
  restore(): Promise<void>;
  /** Forward new connections to another target (e.g. a restarted container's new port). */
  retarget(host: string, port: number): void;
  close(): Promise<void>;
}

/**
 * A TCP forwarder on 127.0.0.1 in front of a server, for injecting outages into a client that
 * talks to a real server: `cut()` makes the server unreachable exactly as a crash or a network
 * partition would (connection refused, open sockets reset), `restore()` brings it back.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let to = { ...target };
  const sockets = new Set<Socket>();
  let accepted = 0;
  let listening = false;

  const server: Server = createServer((client) => {
    accepted++;
    const upstream = createConnection({ host: to.host, port: to.port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined); // the other side's close/destroy handles cleanup
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });

  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port }, () => {
        server.off('error', reject);
        listening = true;
        resolve();
      });
    });
  const stopListening = (): Promise<void> =>
    new Promise((resolve) => {
      if (!listening) return resolve();
      listening = false;
      server.close(() => resolve());
      for (const s of sockets) s.resetAndDestroy();
    });

  await listen(0);
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    get accepted() {
      return accepted;
    },
    cut: stopListening,
    restore: () => (listening ? Promise.resolve() : listen(port)),
    retarget(host, p) {
      to = { host, port: p };
    },
    close: stopListening,
  };
}
