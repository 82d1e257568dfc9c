import type { AuthenticateError, Client, Connection, PublishPacket } from 'aedes';
import aedesMemoryPersistence from 'aedes-persistence';
import type { Bus } from '@ganzhi/bus';
import type { Logger } from '@ganzhi/log';
import { allows, commandAction, type Principal, type Registry } from '@ganzhi/registry';
import type { Refusal } from '@ganzhi/schemas';
import type { CommandParse } from './ingest';
import { createSessionBook } from './sessions';

/**
 * The gateway's security decisions that sit beside Aedes' hooks (build.ts calls them):
 * - who a connection is: username/password, or a verified TLS client certificate whose CN is a
 *   device id (tls.ts binds the certificate to the connection before MQTT starts);
 * - whose session a client id is (sessions.ts): CONNACK 2 for someone else's;
 * - whether an operator's role allows a command (packages/registry policy.ts);
 * - every refusal recorded on `ganzhi.audit.v1` with who tried it;
 * - QoS 2 retransmissions (DUP) of a message still awaiting PUBREL are not appended again.
 */
export interface GatewaySecurityDeps {
  bus: Bus;
  registry: Registry;
  log: Logger;
  now: () => number;
  nextId: () => string;
}

/** The part of aedes-persistence's (async, aedes 1.x) interface used here. */
interface IncomingStore {
  incomingGetPacket(client: Client, packet: PublishPacket): Promise<unknown>;
}

export function createSecurity(deps: GatewaySecurityDeps) {
  const { bus, registry, log, now, nextId } = deps;
  const persistence = aedesMemoryPersistence();
  const incoming = persistence as unknown as IncomingStore;
  const sessions = createSessionBook((id) => registry.device(id) !== undefined || registry.operator(id) !== undefined);
  /** Connections (a TLS socket, or a secure WebSocket's stream) whose client certificate named a device. */
  const certified = new WeakMap<Connection, string>();

  function recordRefusal(actor: string, action: string, target: string, code: string, reason: string): void {
    const refusal: Refusal = { id: nextId(), at: now(), actor, action, target: target.slice(0, 512), via: 'mqtt', code, reason: reason.slice(0, 1024) };
    bus.publish('ganzhi.audit.v1', [{ key: actor, value: refusal }]).catch((err: unknown) => log.error({ err }, 'recording a refusal failed'));
  }

  return {
    persistence,
    recordRefusal,
    /** Marks a connection as carrying a verified client certificate for device `deviceId`. */
    certify(conn: Connection, deviceId: string): void {
      certified.set(conn, deviceId);
    },
    /**
     * The principal of a CONNECT: a certified connection is its certificate's device (a username,
     * if sent, must be the same id); otherwise the registry checks username and password.
     */
    async authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<Principal | undefined> {
      const cn = certified.get(client.conn);
      if (cn !== undefined) {
        const device = registry.device(cn);
        if (!device || (username && username !== cn)) return undefined;
        return { type: 'device', id: cn, device };
      }
      return registry.authenticate(username ?? '', password ?? Buffer.alloc(0));
    },
    /** An error carrying CONNACK 2 when `principal` may not use the client's id, else undefined. */
    claimSession(client: Client, principal: Principal): AuthenticateError | undefined {
      const claim = sessions.claim(client, principal.id, client.clean);
      if (claim.ok) return undefined;
      log.warn({ code: 'GANZHI_ERR_GW_CLIENT_ID', user: principal.id, client: client.id }, 'client id refused');
      recordRefusal(principal.id, 'mqtt.connect', client.id, 'GANZHI_ERR_GW_CLIENT_ID', claim.reason ?? 'identifier rejected');
      const err = new Error('identifier rejected') as AuthenticateError;
      err.returnCode = 2; // CONNACK 0x02, identifier rejected (MQTT 3.1.1 §3.2.2.3)
      return err;
    },
    release(client: Client): void {
      sessions.release(client);
    },
    /**
     * True for a QoS 2 PUBLISH with DUP set whose message id is still held awaiting PUBREL: the
     * first copy is already on the bus (Aedes then answers PUBREC again without re-publishing).
     */
    async isRedelivery(client: Client, packet: PublishPacket): Promise<boolean> {
      if (packet.qos !== 2 || !packet.dup) return false;
      return incoming.incomingGetPacket(client, packet).then(
        () => true,
        () => false,
      );
    },
    /** Refuses (and records) a parsed command the operator's role does not allow. */
    checkCommand(parsed: CommandParse, principal: Principal): CommandParse {
      if (!parsed.ok || principal.type !== 'operator') return parsed;
      const action = commandAction(parsed.command.action);
      if (allows(principal.operator.roles, action)) return parsed;
      const reason = `${principal.id} (roles ${principal.operator.roles.join(', ')}) may not ${action}`;
      recordRefusal(principal.id, action, parsed.command.alertId, 'GANZHI_ERR_ALERT_FORBIDDEN', reason);
      const { command } = parsed;
      return {
        ok: false,
        result: {
          commandId: command.id,
          alertId: command.alertId,
          action: command.action,
          actor: command.actor,
          ok: false,
          code: 'GANZHI_ERR_ALERT_FORBIDDEN',
          reason,
          at: command.at,
          ...(command.requestId ? { requestId: command.requestId } : {}),
        },
      };
    },
  };
}

export type GatewaySecurity = ReturnType<typeof createSecurity>;
