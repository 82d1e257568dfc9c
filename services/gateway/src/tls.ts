import { readFile } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import type { Aedes, Connection } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from '@ganzhi/log';
import { GanzhiError } from '@ganzhi/schemas';
import type { GatewayConfig } from './config';

/**
 * MQTT over TLS and over secure WebSocket, beside (or instead of) the plain listeners.
 *
 * With GANZHI_TLS_CA the listeners ask every client for a certificate:
 * - one that verifies against the CA authenticates the connection as the device its CN names
 *   (as EMQX and ThingsBoard do); the CONNECT needs no password then;
 * - one that does not verify (another CA, expired…) closes the connection before MQTT starts;
 * - none at all: with GANZHI_MQTT_CLIENT_CERT=optional the client logs in with a password as on
 *   the plain listeners; with `required` the TLS handshake fails.
 */
export interface TlsListeners {
  ports(): { mqtts: number; wss: number };
  close(): Promise<void>;
}

export interface TlsDeps {
  broker: Aedes;
  log: Logger;
  /** Marks a connection as authenticated by a client certificate for device `cn`. */
  certify(conn: Connection, cn: string): void;
  onRefused(reason: string): void;
}

async function readPem(path: string, variable: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
}

export async function tlsOptions(config: GatewayConfig): Promise<TlsOptions | undefined> {
  if (!config.GANZHI_TLS_CERT || !config.GANZHI_TLS_KEY) return undefined;
  const options: TlsOptions = {
    cert: await readPem(config.GANZHI_TLS_CERT, 'GANZHI_TLS_CERT'),
    key: await readPem(config.GANZHI_TLS_KEY, 'GANZHI_TLS_KEY'),
    minVersion: 'TLSv1.2',
  };
  if (config.GANZHI_TLS_CA) {
    options.ca = await readPem(config.GANZHI_TLS_CA, 'GANZHI_TLS_CA');
    options.requestCert = true;
    options.rejectUnauthorized = config.GANZHI_MQTT_CLIENT_CERT === 'required';
  }
  return options;
}

/**
 * The device a TLS socket's client certificate names: `{ cn }` for a verified certificate,
 * `{ refused }` for one presented but not verified, `{}` when none was presented.
 */
export function peerIdentity(socket: TLSSocket): { cn?: string; refused?: string } {
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return {};
  if (!socket.authorized) return { refused: `client certificate not trusted (${String(socket.authorizationError)})` };
  const cn = cert.subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  return name ? { cn: name } : { refused: 'client certificate has no CN' };
}

function listen(server: TlsServer | HttpsServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startTlsListeners(config: GatewayConfig, deps: TlsDeps): Promise<TlsListeners | undefined> {
  const options = await tlsOptions(config);
  if (!options) return undefined;
  const { broker, log } = deps;
  const maxPayload = config.GANZHI_MAX_PAYLOAD_BYTES;

  /** Binds a verified certificate to the connection, or refuses it; false = refused. */
  function admit(socket: TLSSocket, conn: Connection): boolean {
    const id = peerIdentity(socket);
    if (id.refused) {
      deps.onRefused(id.refused);
      log.warn({ code: 'GANZHI_ERR_GW_TLS', remote: socket.remoteAddress, reason: id.refused }, 'TLS client refused');
      socket.destroy();
      return false;
    }
    if (id.cn) deps.certify(conn, id.cn);
    return true;
  }

  const tls = createTlsServer(options, (socket) => {
    socket.setNoDelay(true);
    if (admit(socket, socket)) broker.handle(socket);
  });
  tls.on('tlsClientError', (err) => log.debug({ err }, 'TLS handshake failed'));
  await listen(tls, config.GANZHI_MQTT_TLS_PORT, config.GANZHI_MQTT_HOST);

  const https = createHttpsServer(options);
  https.on('tlsClientError', (err) => log.debug({ err }, 'TLS handshake failed (secure WebSocket)'));
  const wss = new WebSocketServer({ server: https, maxPayload: maxPayload + 1024 });
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    if (admit(req.socket as TLSSocket, stream)) broker.handle(stream, req);
    else ws.terminate();
  });
  await listen(https, config.GANZHI_MQTT_WSS_PORT, config.GANZHI_MQTT_HOST);
  log.info({ mqtts: (tls.address() as AddressInfo).port, wss: (https.address() as AddressInfo).port, clientCert: options.requestCert ? config.GANZHI_MQTT_CLIENT_CERT : 'off' }, 'TLS listeners up');

  return {
    ports: () => ({ mqtts: (tls.address() as AddressInfo | null)?.port ?? 0, wss: (https.address() as AddressInfo | null)?.port ?? 0 }),
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await Promise.all([new Promise<void>((r) => tls.close(() => r())), new Promise<void>((r) => https.close(() => r()))]);
      https.closeAllConnections();
    },
  };
}
