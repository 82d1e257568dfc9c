import type { Client } from 'aedes';

/**
 * Bounds what one connection may make the broker buffer. Aedes' MQTT parser (mqtt-packet) has no
 * packet size limit: it buffers until a packet is complete, whatever its announced length. We wrap
 * each client's parser so that, once the unparsed bytes exceed `maxBytes`, the connection closes.
 *
 * This reaches into aedes internals (`client._parser`, mqtt-packet's `_list`); the gateway test
 * "a publish larger than the limit closes the connection" pins the behaviour across upgrades.
 *
 * Per connection it costs two properties on the parser: one shared `parse` wrapper serves every
 * client, and nothing of the code that guards a client (Aedes' authenticate hook, with the CONNECT
 * packet and its password) stays reachable from the connection for its lifetime.
 */
export type FrameGuard = (client: Client) => void;

const GUARD = Symbol('ganzhi.frameGuard');
const CLIENT = Symbol('ganzhi.frameGuardClient');

interface Guard {
  readonly maxBytes: number;
  readonly onExceeded: (client: Client, bytes: number) => void;
  readonly parse: (this: GuardedParser, buf: Buffer) => unknown;
}

interface GuardedParser {
  parse(buf: Buffer): unknown;
  _list?: { length: number };
  [GUARD]?: Guard;
  [CLIENT]?: Client;
}

function guardedParse(this: GuardedParser, buf: Buffer): unknown {
  const guard = this[GUARD]!;
  const result = guard.parse.call(this, buf);
  const pending = this._list?.length ?? 0;
  if (pending > guard.maxBytes) {
    const client = this[CLIENT]!;
    guard.onExceeded(client, pending);
    client.conn.destroy();
  }
  return result;
}

/** A guard for `maxBytes` of unparsed input per connection; call it on each authenticated client. */
export function frameGuard(maxBytes: number, onExceeded: (client: Client, bytes: number) => void): FrameGuard {
  let shared: Guard | undefined; // every parser's parse is mqtt-packet's prototype method: one guard for all
  return (client) => {
    const parser = (client as unknown as { _parser?: GuardedParser })._parser;
    if (!parser || typeof parser.parse !== 'function' || parser.parse === guardedParse) return;
    const parse = parser.parse;
    shared ??= { maxBytes, onExceeded, parse };
    parser[GUARD] = shared.parse === parse ? shared : { maxBytes, onExceeded, parse };
    parser[CLIENT] = client;
    parser.parse = guardedParse;
  };
}

/**
 * Drops the CONNECT packet's password once the login is decided. mqtt-packet keeps the CONNECT
 * packet as its parser's `settings` (it reads only the protocol version from it afterwards), so
 * without this every connection holds its device's password in the heap for as long as it stays
 * connected (and 250 bytes of Buffer with it).
 */
export function forgetConnectPassword(client: Client): void {
  const settings = (client as unknown as { _parser?: { settings?: { password?: Buffer } } })._parser?.settings;
  if (settings?.password !== undefined) settings.password = undefined;
}
