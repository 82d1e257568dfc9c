import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { z } from 'zod';
import { bindError } from '@ganzhi/config';
import type { Bus, StateLog, Subscription } from '@ganzhi/bus';
import type { Logger } from '@ganzhi/log';
import type { Metrics } from '@ganzhi/metrics';
import type { Principal, Registry } from '@ganzhi/registry';
import { GanzhiError, type CommandResult, type DeadLetter } from '@ganzhi/schemas';
import { isDeviceTap, maySubscribe, routePublish } from './acl';
import { gatewayCounters } from './counters';
import { createSecurity } from './security';
import { startTlsListeners, type TlsListeners } from './tls';
import type { GatewayConfig } from './config';
import { forgetConnectPassword, frameGuard } from './frame-guard';
import { writePacketNumbersUncached } from './packet-numbers';
import { idSource, parseCommand, rawEnvelope } from './ingest';
import { LoginThrottle } from './login-throttle';
import { Outbound, type OutboundStats } from './outbound';
import { alertPublications, alertTopic, replyPublication, retainedKey, shouldNotify, type Publication } from './notify';
import { buildProtocolLinks, mqttAnswer, type LinkStats, type ProtocolPorts } from './protocols';

export interface GatewayDeps {
  bus: Bus;
  registry: Registry;
  logger: Logger;
  now?: () => number;
  /** This process's metrics; the gateway makes a private registry when none is given. */
  metrics?: Metrics;
  /**
   * The disk floor (packages/runtime's disk watch): while it returns an error, publishes are
   * refused without a PUBACK, so devices keep their messages and resend them later.
   */
  ingestGate?: { refusal(): Error | undefined };
}

export interface GatewayStats extends OutboundStats {
  accepted: number;
  refusedPublish: number;
  refusedSubscribe: number;
  authFailures: number;
  /** Logins refused without a password check: too many failures from the address or for the user. */
  authThrottled: number;
  /** Logins refused because too many password checks were already waiting. */
  authBusy: number;
  oversize: number;
  alertsPublished: number;
}

export interface Gateway {
  start(): Promise<void>;
  close(): Promise<void>;
  /** Bound ports (useful with port 0); 0 for a listener that is off. */
  ports(): { mqtt: number; ws: number; mqtts: number; wss: number } & ProtocolPorts;
  stats(): Readonly<GatewayStats> & { links: Readonly<LinkStats> };
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
  const count = gatewayCounters(deps.metrics);
  const maxPayload = config.GANZHI_MAX_PAYLOAD_BYTES;
  const throttle = new LoginThrottle({
    maxPerAddress: config.GANZHI_AUTH_MAX_FAILURES_PER_ADDRESS,
    maxPerUser: config.GANZHI_AUTH_MAX_FAILURES_PER_USER,
    windowMs: config.GANZHI_AUTH_FAILURE_WINDOW_SEC * 1000,
    now,
  });
  // One guard for every connection: nothing created inside the authenticate hook may outlive it,
  // or the CONNECT packet (password included) and Aedes' connect state stay reachable per connection.
  const guardFrame = frameGuard(maxPayload + 1024, (client, bytes) => {
    count.oversize(false);
    log.warn({ code: 'GANZHI_ERR_GW_PAYLOAD_TOO_LARGE', client: client.id, bytes }, 'oversized packet: connection closed');
  });
  const refuse = (done: (err: AuthenticateError, ok: false) => void, returnCode: number, message: string) =>
    done(Object.assign(new Error(message), { returnCode }) as AuthenticateError, false);

  // sessions bound to principals, refusals recorded, QoS 2 re-deliveries, TLS identities (security.ts)
  const security = createSecurity({ bus, registry, log, now, nextId });

  writePacketNumbersUncached();
  const broker = await Aedes.createBroker({
    id: config.GANZHI_GATEWAY_ID,
    persistence: security.persistence,
    // No shared delivery slots: with a limit, a subscriber that stops reading holds slots until
    // every publish waits behind it, and mqemitter then drains its backlog recursively (stack overflow).
    concurrency: 0,
    drainTimeout: config.GANZHI_MQTT_DRAIN_TIMEOUT_MS,
    authenticate(client, username, password, done) {
      const user = username ?? '';
      const secret = password ?? Buffer.alloc(0);
      const accept = (principal: Principal) => {
        const claim = security.claimSession(client, principal);
        if (claim) return done(claim, false); // CONNACK 2 before Aedes touches a session with this id
        principals.set(client, principal);
        guardFrame(client);
        forgetConnectPassword(client);
        done(null, true);
      };
      const address = sourceAddress(client);
      if (throttle.refusal(address, user)) {
        // Credentials that were verified recently still pass: an attack from a device's own NAT
        // address must not lock the device out.
        const known = registry.recentlyVerified(user, secret);
        if (known) return accept(known);
        count.connectRefused('throttled');
        return refuse(done, 5, 'too many failed logins: try later'); // CONNACK 0x05 not authorized
      }
      security.authenticate(client, username, password).then(
        (principal) => {
          if (principal) return accept(principal);
          count.connectRefused('bad_credentials');
          throttle.failed(address, user);
          refuse(done, 4, 'bad username or password'); // CONNACK 0x04 / MQTT 5 0x86
        },
        (err: unknown) => {
          if ((err as { code?: string }).code === 'GANZHI_ERR_REG_BUSY') count.connectRefused('busy');
          else {
            count.connectRefused('unavailable');
            log.error({ err }, 'login check failed');
          }
          refuse(done, 3, 'server busy'); // CONNACK 0x03 server unavailable
        },
      );
    },
    authorizeForward: (client, packet) => outbound.forward(client, packet),
    authorizePublish(client, packet, done) {
      if (!client) return done(null); // the broker's own publishes
      const principal = principals.get(client);
      const route = principal && routePublish(principal, packet.topic);
      if (!route) {
        count.refusedPublish();
        if (principal) security.recordRefusal(principal.id, 'mqtt.publish', packet.topic, 'GANZHI_ERR_GW_FORBIDDEN_PUBLISH', `${principal.id} may not publish on ${packet.topic}`);
        log.warn({ code: 'GANZHI_ERR_GW_FORBIDDEN_PUBLISH', user: principal?.id, topic: packet.topic }, 'publish refused');
        return done(new GanzhiError('GANZHI_ERR_GW_FORBIDDEN_PUBLISH', packet.topic));
      }
      const payload = packet.payload as Buffer;
      if (payload.length > maxPayload) {
        count.oversize(true);
        void deadLetterOversize(packet, principal);
        return done(new GanzhiError('GANZHI_ERR_GW_PAYLOAD_TOO_LARGE', `${payload.length} > ${maxPayload} bytes`));
      }
      // Disk floor (issue 21): below the free-space floor nothing new is appended, so no PUBACK.
      const diskFull = deps.ingestGate?.refusal();
      if (diskFull) return done(diskFull);
      const timer = count.publishTimer();
      security.isRedelivery(client, packet).then((again) => (again ? undefined : ingest(route, principal, packet, payload))).then(
        () => {
          count.accepted(timer);
          done(null);
          if (route.type !== 'command' && outbound.tapping) outbound.toTaps(packet.topic, payload);
        },
        (err: unknown) => {
          count.busError();
          log.error({ err, topic: packet.topic }, 'append to bus failed: PUBACK withheld, connection closed');
          done(err as Error);
        },
      );
    },
    authorizeSubscribe(client, sub, done) {
      const principal = principals.get(client);
      if (principal && maySubscribe(principal, sub.topic)) {
        if (!isDeviceTap(principal, sub.topic)) return done(null, sub);
        // A tap sees device traffic at most once, never at the price of ingest (see Outbound); and
        // only while connected: a persistent session would queue every device message while away.
        if (client.clean) {
          outbound.tap(client, sub.topic);
          return done(null, { ...sub, qos: 0 });
        }
        log.warn({ code: 'GANZHI_ERR_GW_FORBIDDEN_SUBSCRIBE', user: principal.id, topic: sub.topic }, 'device taps need a clean session');
      }
      count.refusedSubscribe();
      if (principal) security.recordRefusal(principal.id, 'mqtt.subscribe', sub.topic, 'GANZHI_ERR_GW_FORBIDDEN_SUBSCRIBE', `${principal.id} may not subscribe to ${sub.topic}`);
      log.warn({ code: 'GANZHI_ERR_GW_FORBIDDEN_SUBSCRIBE', user: principal?.id, topic: sub.topic }, 'subscribe refused');
      done(null, null); // SUBACK failure (0x80) for this filter; the connection stays
    },
  });

  const outbound = new Outbound(broker, { maxBufferedBytes: config.GANZHI_MQTT_MAX_BUFFERED_BYTES }, log);
  const stats = (): GatewayStats => ({ ...count.stats, ...outbound.stats });
  count.watchConnections(broker, (client) => principals.get(client));
  broker.on('clientDisconnect', (client) => security.release(client));
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
        // HJ 212 / SL 651 over MQTT: the answer the frame asks for, now that it is on the bus
        const answer = route.type === 'telemetry' ? mqttAnswer(device, payload, at) : undefined;
        if (answer) broker.publish({ cmd: 'publish', topic: `devices/${device.id}/commands/answer`, payload: answer, qos: 1, retain: false, dup: false }, () => undefined);
        return;
      }
      case 'command': {
        const parsed = security.checkCommand(parseCommand(nextId(), route.operatorId, payload, at), principal);
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

  const links = buildProtocolLinks(config, { bus, registry, logger: deps.logger, now, nextId });
  let retained: StateLog<Retained> | undefined;
  let subscription: Subscription | undefined;
  let tcp: Server | undefined;
  let wss: WebSocketServer | undefined;
  let secure: TlsListeners | undefined;

  const ports = () => ({
    mqtt: (tcp?.address() as AddressInfo | null)?.port ?? 0,
    ws: (wss?.address() as AddressInfo | null)?.port ?? 0,
    ...links.ports(),
    ...(secure?.ports() ?? { mqtts: 0, wss: 0 }),
  });

  return {
    broker,
    stats: () => ({ ...stats(), links: links.stats() }),
    ports,
    async start() {
      outbound.start();
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
              count.alertDelivered();
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

      secure = await startTlsListeners(config, {
        broker,
        log,
        certify: security.certify,
        onRefused: (reason) => security.recordRefusal('tls-client', 'mqtt.connect', 'client certificate', 'GANZHI_ERR_GW_TLS', reason),
      });
      if (config.GANZHI_MQTT_PLAIN) {
        tcp = createServer((socket) => {
          socket.setNoDelay(true);
          broker.handle(socket);
        });
        await listen(tcp, config.GANZHI_MQTT_PORT, config.GANZHI_MQTT_HOST).catch((err: unknown) => {
          throw bindError(err, 'GANZHI_MQTT_PORT', config.GANZHI_MQTT_PORT, config.GANZHI_MQTT_HOST);
        });
        wss = new WebSocketServer({ host: config.GANZHI_MQTT_HOST, port: config.GANZHI_MQTT_WS_PORT, maxPayload: maxPayload + 1024 });
        wss.on('connection', (ws, req) => broker.handle(createWebSocketStream(ws), req));
        await new Promise<void>((resolve, reject) => {
          wss!.once('listening', resolve);
          wss!.once('error', (err) => reject(bindError(err, 'GANZHI_MQTT_WS_PORT', config.GANZHI_MQTT_WS_PORT, config.GANZHI_MQTT_HOST)));
        });
      }
      await links.start();
      log.info({ ...ports(), host: config.GANZHI_MQTT_HOST }, 'gateway listening');
    },
    async close() {
      outbound.stop();
      await links.close();
      await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
      for (const c of wss?.clients ?? []) c.terminate();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => (tcp ? tcp.close(() => resolve()) : resolve()));
      await secure?.close();
      await subscription?.close();
    },
  };
}

/** Where a connection comes from: the TCP peer, or the WebSocket upgrade request's. */
function sourceAddress(client: Client): string {
  const socket = client.conn as { remoteAddress?: string };
  return socket.remoteAddress ?? client.req?.socket?.remoteAddress ?? 'unknown';
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
