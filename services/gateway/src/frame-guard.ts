import type { Client } from 'aedes';

/**
 * Bounds what one connection may make the broker buffer. Aedes' MQTT parser (mqtt-packet) has no
 * packet size limit: it buffers until a packet is complete, whatever its announced length. We wrap
 * the client's parser so that, once the unparsed bytes exceed `maxBytes`, the connection closes.
 *
 * This reaches into aedes internals (`client._parser`, mqtt-packet's `_list`); the gateway test
 * "a publish larger than the limit closes the connection" pins the behaviour across upgrades.
 */
export function guardFrameSize(client: Client, maxBytes: number, onExceeded: (bytes: number) => void): void {
  const parser = (client as unknown as { _parser?: { parse(buf: Buffer): unknown; _list?: { length: number } } })._parser;
  if (!parser || typeof parser.parse !== 'function') return;
  const parse = parser.parse.bind(parser);
  parser.parse = (buf: Buffer) => {
    const result = parse(buf);
    const pending = parser._list?.length ?? 0;
    if (pending > maxBytes) {
      onExceeded(pending);
      client.conn.destroy();
    }
    return result;
  };
}
