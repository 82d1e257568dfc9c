import { createConnection, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { SASL_MECHANISMS, SaslServer } from './sasl-server';
import type { SaslMechanism } from './sasl-server';
import {
  API,
  FrameReader,
  MAX_REWRITABLE,
  Writer,
  frame,
  requestBody,
  requestHeader,
  rewriteApiVersions,
  rewriteFindCoordinator,
  rewriteMetadata,
} from './wire';
import type { AddressMap, ApiRange } from './wire';

export interface KafkaProxyOptions {
  /** The cluster's bootstrap brokers, host:port (e.g. KAFKA_BROKERS). */
  readonly bootstrap: readonly string[];
  /** Clients must speak TLS to the proxy (the proxy speaks plaintext to the cluster). */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** Clients must authenticate with SASL (user -> password) before anything but ApiVersions. */
  readonly sasl?: { readonly users: Readonly<Record<string, string>>; readonly mechanisms?: readonly SaslMechanism[] };
}

export interface KafkaProxy {
  /** The proxy's addresses for the bootstrap brokers (give these to clients). */
  readonly brokers: string[];
  /** Connections accepted, and SASL authentications that succeeded / failed. */
  stats(): { accepted: number; authenticated: number; authFailures: number; listeners: number };
  /** Outage: every listener stops accepting (connection refused) and every open connection is reset. */
  cut(): Promise<void>;
  /** Accept connections again, on the same ports. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

interface Listener {
  readonly upstream: { readonly host: string; readonly port: number };
  readonly server: Server;
  port: number;
  listening: boolean;
}

const SASL_AUTHENTICATION_FAILED = 58;
const UNSUPPORTED_SASL_MECHANISM = 33;
const ILLEGAL_SASL_STATE = 34;

/**
 * A Kafka-aware TCP proxy on 127.0.0.1 in front of any cluster, for fault tests on whatever peer
 * the suite runs on: one listener per broker, and the addresses in Metadata and FindCoordinator
 * responses replaced by the proxy's own (so clients never go around it). `cut()` makes the whole
 * cluster unreachable as a network partition would. With `tls`/`sasl` it also terminates TLS and
 * SASL (PLAIN, SCRAM-SHA-256/512) in front of a plaintext cluster such as librdkafka's mock.
 *
 * The proxy caps the versions it must rewrite (Metadata v8, FindCoordinator v2: the last ones
 * without tagged fields) in the ApiVersions answers it relays, and hides DescribeCluster.
 */
export async function startKafkaProxy(options: KafkaProxyOptions): Promise<KafkaProxy> {
  const listeners = new Map<string, Listener>();
  const sockets = new Set<Socket>();
  const users = new Map(Object.entries(options.sasl?.users ?? {}));
  const mechanisms = options.sasl?.mechanisms ?? SASL_MECHANISMS;
  const counters = { accepted: 0, authenticated: 0, authFailures: 0 };
  let down = false;

  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  };

  const listen = (l: Listener, port: number) =>
    new Promise<void>((resolve, reject) => {
      l.server.once('error', reject);
      l.server.listen({ host: '127.0.0.1', port }, () => {
        l.server.off('error', reject);
        l.listening = true;
        l.port = (l.server.address() as AddressInfo).port;
        resolve();
      });
    });

  const listenerFor = async (host: string, port: number): Promise<Listener> => {
    const id = `${host}:${port}`;
    let l = listeners.get(id);
    if (l) return l;
    const onClient = (client: Socket) => serve(client, { host, port });
    const server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, onClient) : createServer(onClient);
    l = { upstream: { host, port }, server, port: 0, listening: false };
    listeners.set(id, l);
    await listen(l, 0);
    if (down) await stop(l);
    return l;
  };

  const stop = (l: Listener) =>
    new Promise<void>((resolve) => {
      if (!l.listening) return resolve();
      l.listening = false;
      l.server.close(() => resolve());
    });

  /** Maps every address in a response to its listener (creating listeners for new brokers). */
  const mapped = async (rewrite: (map: AddressMap) => Buffer): Promise<Buffer> => {
    const seen: [string, number][] = [];
    rewrite((host, port) => {
      seen.push([host, port]);
      return { host, port };
    });
    for (const [h, p] of seen) await listenerFor(h, p);
    return rewrite((host, port) => ({ host: '127.0.0.1', port: listeners.get(`${host}:${port}`)!.port }));
  };

  const serve = (client: Socket, upstream: { host: string; port: number }) => {
    counters.accepted++;
    track(client);
    if (down) {
      reset(client);
      return;
    }
    const server = createConnection(upstream);
    track(server);
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());

    const pending = new Map<number, { apiKey: number; apiVersion: number }>();
    let sasl: SaslServer | undefined;
    let authenticated = options.sasl === undefined;
    let out = Promise.resolve();
    /** Writes to the client in order (some answers need a listener to be created first). */
    const reply = (make: () => Buffer | Promise<Buffer>) => {
      out = out.then(async () => {
        const bytes = await make();
        if (!client.destroyed) client.write(frame(bytes));
      }).catch(() => void client.destroy());
    };
    const answer = (correlationId: number, body: Buffer) => reply(() => Buffer.concat([new Writer().int32(correlationId).build(), body]));
    const fail = (correlationId: number, body: Buffer) => {
      answer(correlationId, body);
      counters.authFailures++;
      void out.then(() => client.end());
    };

    const fromClient = new FrameReader();
    client.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = fromClient.push(chunk);
      } catch {
        client.destroy();
        return;
      }
      for (const f of frames) {
        const h = requestHeader(f);
        if (!authenticated && h.apiKey === API.SaslHandshake) {
          const mechanism = requestBody(f).string().toUpperCase() as SaslMechanism;
          const ok = mechanisms.includes(mechanism);
          if (ok) sasl = new SaslServer(mechanism, users);
          const w = new Writer().int16(ok ? 0 : UNSUPPORTED_SASL_MECHANISM).int32(mechanisms.length);
          for (const m of mechanisms) w.nullableString(m);
          answer(h.correlationId, w.build());
          continue;
        }
        if (!authenticated && h.apiKey === API.SaslAuthenticate) {
          if (!sasl) {
            fail(h.correlationId, saslAuthResponse(h.apiVersion, ILLEGAL_SASL_STATE, 'SaslHandshake first', Buffer.alloc(0)));
            continue;
          }
          const step = sasl.step(requestBody(f).bytes());
          if (step.kind === 'failed') {
            fail(h.correlationId, saslAuthResponse(h.apiVersion, SASL_AUTHENTICATION_FAILED, step.reason, Buffer.alloc(0)));
            continue;
          }
          if (step.kind === 'done') {
            authenticated = true;
            counters.authenticated++;
          }
          answer(h.correlationId, saslAuthResponse(h.apiVersion, 0, null, step.reply));
          continue;
        }
        if (!authenticated && h.apiKey !== API.ApiVersions) {
          client.destroy(); // a broker closes a connection that skips authentication
          return;
        }
        pending.set(h.correlationId, { apiKey: h.apiKey, apiVersion: h.apiVersion });
        server.write(frame(f));
      }
    });

    const fromServer = new FrameReader();
    server.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = fromServer.push(chunk);
      } catch {
        client.destroy();
        return;
      }
      for (const f of frames) {
        const correlationId = f.readInt32BE(0);
        const req = pending.get(correlationId);
        pending.delete(correlationId);
        const head = f.subarray(0, 4);
        const body = f.subarray(4);
        if (req?.apiKey === API.Metadata) {
          reply(async () => Buffer.concat([head, await mapped((m) => rewriteMetadata(body, req.apiVersion, m))]));
        } else if (req?.apiKey === API.FindCoordinator) {
          reply(async () => Buffer.concat([head, await mapped((m) => rewriteFindCoordinator(body, req.apiVersion, m))]));
        } else if (req?.apiKey === API.ApiVersions) {
          reply(() => Buffer.concat([head, rewriteApiVersions(body, req.apiVersion, editApis)]));
        } else {
          reply(() => f);
        }
      }
    });
  };

  const editApis = (apis: ApiRange[]): ApiRange[] => {
    const out = apis
      .filter((a) => a.key !== API.DescribeCluster && a.key !== API.SaslHandshake && a.key !== API.SaslAuthenticate)
      .map((a) => (MAX_REWRITABLE[a.key] !== undefined ? { ...a, max: Math.min(a.max, MAX_REWRITABLE[a.key]!) } : a));
    if (options.sasl) out.push({ key: API.SaslHandshake, min: 1, max: 1 }, { key: API.SaslAuthenticate, min: 0, max: 1 });
    return out;
  };

  const boot: Listener[] = [];
  for (const b of options.bootstrap) {
    const i = b.lastIndexOf(':');
    boot.push(await listenerFor(b.slice(0, i), Number(b.slice(i + 1))));
  }

  const cut = async () => {
    down = true;
    const stopped = [...listeners.values()].map(stop);
    for (const s of sockets) reset(s);
    await Promise.all(stopped);
  };
  return {
    brokers: boot.map((l) => `127.0.0.1:${l.port}`),
    stats: () => ({ ...counters, listeners: listeners.size }),
    cut,
    async restore() {
      down = false;
      for (const l of listeners.values()) if (!l.listening) await listen(l, l.port);
    },
    close: cut,
  };
}

function saslAuthResponse(version: number, error: number, message: string | null, auth: Buffer): Buffer {
  const w = new Writer().int16(error).nullableString(message).bytes(auth);
  if (version >= 1) w.int64(0n); // session_lifetime_ms: no re-authentication
  return w.build();
}


/** Resets a connection (RST) where the socket allows it, else closes it. */
function reset(s: Socket): void {
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy();
  }
}
