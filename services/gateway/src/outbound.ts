import type { Aedes, Client } from 'aedes';
import type { Logger } from '@ganzhi/log';

export interface OutboundOptions {
  /** A client whose unsent bytes exceed this is disconnected. */
  maxBufferedBytes: number;
  /** How often connected clients' buffers are looked at. */
  sweepMs?: number;
}

export interface OutboundStats {
  slowDisconnects: number;
  droppedTapMessages: number;
}

/**
 * Keeps one client's reading speed from mattering to anyone else.
 *
 * - Device telemetry never reaches subscribers on the ingest path: Aedes would hold a device's
 *   next packets until every subscriber's socket took the message, so an admin's tap that stops
 *   reading would stop ingest. Instead, once a publish is durably on the bus, the gateway hands
 *   a copy to the taps (`devices/...` subscriptions, granted QoS 0) and does not wait for it.
 * - A tap message for a client whose socket is not draining is dropped (QoS 0: at most once).
 * - A client whose unsent bytes pass `maxBufferedBytes` is disconnected; one that does not drain
 *   within Aedes' `drainTimeout` is disconnected by Aedes. Either way its id is logged.
 *
 * Only publications forwarded to a client (`forward`) can pile up in its buffer: every other packet
 * the broker writes (CONNACK, PUBACK, SUBACK, PINGRESP…) answers one of the client's own, and Aedes
 * reads nothing more from a client until that answer is written, so its `drainTimeout` bounds them.
 * So the sweep looks only at clients forwarded something since their buffer was last seen empty,
 * not at every connection: with 10,000 idle devices it walks a handful of operators, not 20,000
 * sockets a second.
 */
export class Outbound {
  readonly stats: OutboundStats = { slowDisconnects: 0, droppedTapMessages: 0 };
  private readonly taps = new Map<Client, Set<string>>();
  /**
   * Clients forwarded a publication since their outgoing buffer was last seen empty, each with
   * whether it was forwarded one since the last sweep (Aedes writes a forwarded packet a tick
   * later, so an empty buffer right after a forward does not yet mean drained).
   */
  private readonly watched = new Map<Client, boolean>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly broker: Aedes,
    private readonly options: OutboundOptions,
    private readonly log: Logger,
  ) {
    broker.on('clientDisconnect', (c) => this.forget(c));
    broker.on('clientError', (c, err) => {
      if (err?.message === 'drain timeout') this.slow(c, 'did not drain within GANZHI_MQTT_DRAIN_TIMEOUT_MS');
      this.forget(c);
    });
    broker.on('unsubscribe', (filters, c) => {
      const set = this.taps.get(c);
      for (const f of filters) set?.delete(f);
      if (set?.size === 0) this.taps.delete(c);
    });
  }

  start(): void {
    this.sweeper = setInterval(() => this.sweep(), this.options.sweepMs ?? 500);
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  /** Records a granted tap subscription (a `devices/...` filter of an operator). */
  tap(client: Client, filter: string): void {
    const set = this.taps.get(client) ?? new Set<string>();
    set.add(filter);
    this.taps.set(client, set);
  }

  /** Whether anyone taps device topics at all (the hot path asks this once per publish). */
  get tapping(): boolean {
    return this.taps.size > 0;
  }

  /** Hands a device message that is already on the bus to the taps, without waiting for them. */
  toTaps(topic: string, payload: Buffer): void {
    this.broker.publish({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }, noop);
  }

  /**
   * Aedes' authorizeForward: device-originated packets are never forwarded by Aedes (the taps get
   * their copy from `toTaps`); QoS 0 packets to a client that is not draining are dropped.
   */
  forward<P extends { clientId?: string; topic: string; qos: number }>(client: Client, packet: P): P | null {
    if (typeof packet.clientId === 'string' && packet.topic.startsWith('devices/')) return null;
    if (packet.qos === 0 && client.conn.writableNeedDrain) {
      this.stats.droppedTapMessages++;
      return null;
    }
    if (!client.closed) this.watched.set(client, true);
    return packet;
  }

  /** How many clients the next sweep looks at (for tests). */
  get watching(): number {
    return this.watched.size;
  }

  /** Disconnects watched clients over the limit and stops watching those that have drained. */
  sweep(): void {
    for (const [c, fresh] of this.watched) {
      const buffered = c.conn.writableLength ?? 0;
      if (buffered > this.options.maxBufferedBytes) this.slow(c, `more than GANZHI_MQTT_MAX_BUFFERED_BYTES=${this.options.maxBufferedBytes} unsent`, buffered);
      else if (c.closed || (buffered === 0 && !fresh)) this.watched.delete(c);
      else if (fresh) this.watched.set(c, false);
    }
  }

  private slow(client: Client, why: string, buffered?: number): void {
    this.stats.slowDisconnects++;
    this.log.warn({ code: 'GANZHI_ERR_GW_SLOW_CLIENT', client: client.id, buffered }, `client does not read: disconnected (${why})`);
    this.forget(client);
    client.conn.destroy();
  }

  private forget(client: Client): void {
    this.watched.delete(client);
    this.taps.delete(client);
  }
}

function noop(): void {}
