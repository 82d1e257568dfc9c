import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { z } from 'zod';
import type { Bus, StateLog, Subscription } from '@ganzhi/bus';
import type { Logger } from '@ganzhi/log';
import type { Principal, Registry } from '@ganzhi/registry';
import { GanzhiError, type CommandResult, type DeadLetter } from '@ganzhi/schemas';
import { maySubscribe, routePublish } from './acl';
import type { GatewayConfig } from './config';
import { guardFrameSize } from './frame-guard';
import { idSource, parseCommand, rawEnvelope } from './ingest';
import { alertPublications, alertTopic, replyPublication, retainedKey, shouldNotify, type Publication } from './notify';

export interface GatewayDeps {
  bus: Bus;
  registry: Registry;
  logger: Logger;
  now?: () => number;
}

export interface GatewayStats {
  accepted: number;
  refusedPublish: number;
  refusedSubscribe: number;
  authFailures: number;
  oversize: number;
  alertsPublished: number;
}

export interface Gateway {
  start(): Promise<void>;
  close(): Promise<void>;
  /** Bound ports (useful with port 0). */
  ports(): { mqtt: number; ws: number };
  stats(): Readonly<GatewayStats>;
  readonly broker: Aedes;
}

const RetainedSchema = z.object({ topic: z.string(), payload: z.string() });
type Retained = z.infer<typeof RetainedSchema>;

/**
 * The MQTT gateway: an embedded Aedes broker on TCP and WebSocket. Device publishes are appended
 * to `ganzhi.raw.v1` *inside* authorizePublish — Aedes sends the QoS 1 PUBACK right after that
 * hook — so a PUBACK means the message is durably on the bus, and a slow bus withholds PUBACKs
 * (Aedes reads no further from a connection until its current packets are handled).
 * Operator alerts flow back from `ganzhi.alerts.v1` through this gateway's own consumer group.
 */
export async function buildGateway(config: GatewayConfig, deps: GatewayDeps): Promise<Gateway> {
  const { bus, registry } = deps;
  const log = deps.logger.child({ component: 'gateway' });
  const now = deps.now ?? Date.now;
  const nextId = idSource(config.GANZHI_GATEWAY_ID);
  const principals = new WeakMap<Client, Principal>();
  const stats: GatewayStats = { accepted: 0, refusedPublish: 0, refusedSubscribe: 0, authFailures: 0, oversize: 0, alertsPublished: 0 };
  const maxPayload = config.GANZHI_MAX_PAYLOAD_BYTES;

  const broker = await Aedes.createBroker({
    id: config.GANZHI_GATEWAY_ID,
    authenticate(client, username, password, done) {
      registry.authenticate(username ?? '', password ?? Buffer.alloc(0)).then(
        (principal) => {
          if (!principal) {
            stats.authFailures++;
            const err = new Error('bad username or password') as AuthenticateError;
            err.returnCode = 4; // CONNACK 0x04 / MQTT 5 0x86
            return done(err, false);
          }
          principals.set(client, principal);
          guardFrameSize(client, maxPayload + 1024, (bytes) => {
            stats.oversize++;
            log.warn({ code: 'GANZHI_ERR_GW_PAYLOAD_TOO_LARGE', client: client.id, bytes }, 'oversized packet: connection closed');
          });
          done(null, true);
        },
        (err: unknown) => done(Object.assign(err as Error, { returnCode: 3 }) as AuthenticateError, false),
      );
    },
    authorizePublish(client, packet, done) {
      if (!client) return done(null); // the broker's own publishes
      const principal = principals.get(client);
      const route = principal && routePublish(principal, packet.topic);
      if (!route) {
        stats.refusedPublish++;
        log.warn({ code: 'GANZHI_ERR_GW_FORBIDDEN_PUBLISH', user: principal?.id, topic: packet.topic }, 'publish refused');
        return done(new GanzhiError('GANZHI_ERR_GW_FORBIDDEN_PUBLISH', packet.topic));
      }
      const payload = packet.payload as Buffer;
      if (payload.length > maxPayload) {
        stats.oversize++;
        void deadLetterOversize(packet, principal);
        return done(new GanzhiError('GANZHI_ERR_GW_PAYLOAD_TOO_LARGE', `${payload.length} > ${maxPayload} bytes`));
      }
      ingest(route, principal, packet, payload).then(
        () => {
          stats.accepted++;
          done(null);
        },
        (err: unknown) => {
          log.error({ err, topic: packet.topic }, 'append to bus failed: PUBACK withheld, connection closed');
          done(err as Error);
        },
      );
    },
    authorizeSubscribe(client, sub, done) {
      const principal = principals.get(client);
      if (principal && maySubscribe(principal, sub.topic)) return done(null, sub);
      stats.refusedSubscribe++;
      log.warn({ code: 'GANZHI_ERR_GW_FORBIDDEN_SUBSCRIBE', user: principal?.id, topic: sub.topic }, 'subscribe refused');
      done(null, null); // SUBACK failure (0x80) for this filter; the connection stays
    },
  });

  // Connection state as the gateway sees it: every device connect and disconnect (clean or not,
  // with a last will or without) goes on the bus for the API's device view.
  function recordConnection(client: Client, state: 'connected' | 'disconnected') {
    const principal = principals.get(client);
    if (principal?.type !== 'device') return;
    const change = { deviceId: principal.id, state, at: now(), gatewayId: config.GANZHI_GATEWAY_ID };
    bus.publish('ganzhi.connections.v1', [{ key: principal.id, value: change }]).catch((err: unknown) => log.warn({ err, device: principal.id, state }, 'connection change not recorded'));
  }
  broker.on('client', (client) => recordConnection(client, 'connected'));
  broker.on('clientDisconnect', (client) => recordConnection(client, 'disconnected'));

  async function ingest(route: NonNullable<ReturnType<typeof routePublish>>, principal: Principal, packet: PublishPacket, payload: Buffer) {
    const at = now();
    switch (route.type) {
      case 'telemetry':
      case 'status': {
        const device = (principal as Extract<Principal, { type: 'device' }>).device;
        const raw = rawEnvelope(nextId(), device, packet.topic, payload, at, route.type === 'status');
        await bus.publish('ganzhi.raw.v1', [{ key: raw.deviceId, value: raw }]);
        return;
      }
      case 'command': {
        const parsed = parseCommand(nextId(), route.operatorId, payload, at);
        if (parsed.ok) await bus.publish('ganzhi.commands.v1', [{ key: parsed.command.deviceId, value: parsed.command }]);
        else await bus.publish('ganzhi.command-results.v1', [{ key: route.operatorId, value: parsed.result }]);
        return;
      }
      default: {
        const never: never = route;
        throw new Error(`unhandled route ${JSON.stringify(never)}`);
      }
    }
  }

  async function deadLetterOversize(packet: PublishPacket, principal: Principal) {
    const payload = packet.payload as Buffer;
    const dl: DeadLetter = {
      id: nextId(),
      stage: 'gateway',
      code: 'GANZHI_ERR_GW_PAYLOAD_TOO_LARGE',
      reason: `payload of ${payload.length} bytes exceeds GANZHI_MAX_PAYLOAD_BYTES=${maxPayload}; first 256 bytes kept`,
      at: now(),
      deviceId: principal.id,
      source: { topic: packet.topic, key: principal.id, value: payload.subarray(0, 256).toString('base64') },
    };
    await bus.publish('ganzhi.deadletter.v1', [{ key: principal.id, value: dl }]).catch((err: unknown) => log.error({ err }, 'dead-letter failed'));
  }

  function publishToClients(p: Publication): Promise<void> {
    return new Promise((resolve, reject) =>
      broker.publish({ cmd: 'publish', topic: p.topic, payload: Buffer.from(p.payload), qos: 1, retain: p.retain, dup: false }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }

  let retained: StateLog<Retained> | undefined;
  let subscription: Subscription | undefined;
  let tcp: Server | undefined;
  let wss: WebSocketServer | undefined;

  const ports = () => ({
    mqtt: (tcp?.address() as AddressInfo | null)?.port ?? 0,
    ws: (wss?.address() as AddressInfo | null)?.port ?? 0,
  });

  return {
    broker,
    stats: () => stats,
    ports,
    async start() {
      // Restore the retained alert messages before anyone can connect.
      retained = await bus.stateLog('gateway-retained', (v) => RetainedSchema.parse(v));
      const restored = await retained.restore();
      for (const r of restored.values()) await publishToClients({ ...r, retain: true });

      subscription = await bus.subscribe(
        `gateway.${config.GANZHI_GATEWAY_ID}`,
        {
          'ganzhi.alerts.v1': async (batch) => {
            const updates = new Map<string, Retained | null>();
            for (const { value: change } of batch) {
              if (!shouldNotify(change)) {
                // silenced or inhibited: recorded, not paged; a closed alert still leaves the retained state
                if (change.status === 'closed') {
                  await publishToClients({ topic: alertTopic(change), payload: '', retain: true });
                  updates.set(retainedKey(change), null);
                }
                continue;
              }
              const pubs = alertPublications(change);
              for (const p of pubs) await publishToClients(p);
              stats.alertsPublished++;
              const last = pubs[pubs.length - 1]!;
              updates.set(retainedKey(change), change.status === 'closed' ? null : { topic: last.topic, payload: last.payload });
            }
            if (updates.size) await retained!.put([...updates].map(([key, value]) => ({ key, value })));
          },
          'ganzhi.command-results.v1': async (batch) => {
            for (const { value } of batch) await publishToClients(replyPublication(value as CommandResult));
          },
        },
        { start: 'latest' },
      );

      tcp = createServer((socket) => {
        socket.setNoDelay(true);
        broker.handle(socket);
      });
      await listen(tcp, config.GANZHI_MQTT_PORT, config.GANZHI_MQTT_HOST);
      wss = new WebSocketServer({ host: config.GANZHI_MQTT_HOST, port: config.GANZHI_MQTT_WS_PORT, maxPayload: maxPayload + 1024 });
      wss.on('connection', (ws, req) => broker.handle(createWebSocketStream(ws), req));
      await new Promise<void>((resolve, reject) => {
        wss!.once('listening', resolve);
        wss!.once('error', reject);
      });
      log.info({ ...ports(), host: config.GANZHI_MQTT_HOST }, 'gateway listening');
    },
    async close() {
      await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
      for (const c of wss?.clients ?? []) c.terminate();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => (tcp ? tcp.close(() => resolve()) : resolve()));
      await subscription?.close();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
