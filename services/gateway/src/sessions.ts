import type { Client } from 'aedes';

/**
 * Sessions belong to principals. The rule (README "MQTT sessions"):
 *
 * 1. A client id *names* a principal when it equals a registered id, or starts with a registered
 *    id followed by `-` or `:` (the longest such id wins: `op-alice-console` names `op-alice`
 *    even when `op` is registered too). Only that principal may connect with it.
 * 2. A client id that names nobody (a generated one such as mqtt.js's `mqttjs_…`, or the
 *    `aedes_…` id the broker gives an empty one) may be used with a clean session only, and only
 *    by one principal at a time: while it is connected, another principal is refused.
 * 3. So a persistent session (clean session off) always has an id naming its principal, and its
 *    subscriptions and queued messages can only ever be resumed by that principal.
 *
 * A refusal is CONNACK 2 "identifier rejected", answered inside Aedes' authenticate hook, which
 * runs before Aedes registers the new client (and so before it would close an existing client
 * with the same id): the existing session is untouched.
 */
export interface SessionClaim {
  ok: boolean;
  /** Why it was refused (for the log and the audit record). */
  reason?: string;
}

export interface SessionBook {
  /** Checks (and, when accepted, records) that `principalId` may use `client`'s id. */
  claim(client: Client, principalId: string, clean: boolean): SessionClaim;
  /** Forgets an unnamed id's holder when that client goes away. */
  release(client: Client): void;
  /** Unnamed ids currently held (for stats and tests). */
  size(): number;
}

/** The principal a client id names, or undefined. `isPrincipal` looks an id up in the registry. */
export function ownerOf(clientId: string, isPrincipal: (id: string) => boolean): string | undefined {
  if (isPrincipal(clientId)) return clientId;
  for (let i = clientId.length - 1; i > 0; i--) {
    const c = clientId[i];
    if ((c === '-' || c === ':') && isPrincipal(clientId.slice(0, i))) return clientId.slice(0, i);
  }
  return undefined;
}

export function createSessionBook(isPrincipal: (id: string) => boolean): SessionBook {
  /** Unnamed client id -> the principal and client holding it now. */
  const held = new Map<string, { principalId: string; client: Client }>();
  return {
    claim(client, principalId, clean) {
      const id = client.id;
      const owner = ownerOf(id, isPrincipal);
      if (owner !== undefined) {
        return owner === principalId ? { ok: true } : { ok: false, reason: `client id "${id}" belongs to ${owner}` };
      }
      if (!clean) {
        return { ok: false, reason: `a persistent session needs a client id naming its principal ("${principalId}" or "${principalId}-…"), not "${id}"` };
      }
      const holder = held.get(id);
      if (holder && holder.client !== client && holder.principalId !== principalId && !holder.client.closed) {
        return { ok: false, reason: `client id "${id}" is in use by another principal` };
      }
      held.set(id, { principalId, client });
      return { ok: true };
    },
    release(client) {
      const holder = held.get(client.id);
      if (holder?.client === client) held.delete(client.id);
    },
    size: () => held.size,
  };
}
