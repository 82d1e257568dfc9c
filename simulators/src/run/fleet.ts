import mqtt, { type MqttClient } from 'mqtt';
import type { Payload } from '../encode';

/** Topics of the device contract (services/gateway acl.ts). */
export const telemetryTopic = (id: string) => `devices/${id}/telemetry`;
export const statusTopic = (id: string) => `devices/${id}/status`;

/** Default device/operator password of the demo and generated registries. */
export const DEFAULT_PASSWORD_TEMPLATE = 'demo-{id}';
export const passwordFrom = (template: string) => (id: string) => template.replaceAll('{id}', id);

export interface FleetOptions {
  readonly url: string;
  readonly password: (id: string) => string;
  readonly connectTimeoutMs?: number;
  /** MQTT keepalive in seconds (default 60). */
  readonly keepalive?: number;
  /**
   * Publish status `online`/`offline` and set the last will (default true). Status readings carry
   * the gateway's clock, so a run whose payload timestamps lie in the past turns this off: the
   * rules skip readings older than a device's latest one.
   */
  readonly status?: boolean;
}

export interface FleetStats {
  connects: number;
  connectFailures: number;
  disconnects: number;
  published: number;
  acked: number;
  failed: number;
  /** Reports not sent because the device was not connected (a refused or failed connection). */
  skipped: number;
}

/**
 * Device connections over real MQTT, one client per device, each with its registry credentials,
 * status `online` on connect and a retained last will `offline` on its status topic. Telemetry is QoS 1: `publish` resolves
 * on the PUBACK, which the gateway sends once the message is durably on the bus.
 */
export interface Fleet {
  connect(id: string): Promise<boolean>;
  disconnect(id: string, mode: 'clean' | 'crash'): Promise<void>;
  publish(id: string, payload: Payload): Promise<void>;
  isConnected(id: string): boolean;
  stats(): Readonly<FleetStats>;
  /** Ends every connection without a status message. */
  close(): Promise<void>;
}

export function createFleet(options: FleetOptions): Fleet {
  const clients = new Map<string, MqttClient>();
  const status = options.status ?? true;
  const stats: FleetStats = { connects: 0, connectFailures: 0, disconnects: 0, published: 0, acked: 0, failed: 0, skipped: 0 };

  const send = (client: MqttClient, topic: string, payload: string | Buffer, retain: boolean) =>
    new Promise<void>((resolve, reject) => client.publish(topic, payload, { qos: 1, retain }, (err) => (err ? reject(err) : resolve())));

  async function connect(id: string): Promise<boolean> {
    const old = clients.get(id);
    if (old) await new Promise<void>((r) => old.end(true, {}, () => r()));
    const client = mqtt.connect(options.url, {
      username: id,
      password: options.password(id),
      clientId: `${id}-sim`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      keepalive: options.keepalive ?? 60,
      ...(status ? { will: { topic: statusTopic(id), payload: Buffer.from('offline'), qos: 1, retain: true } } : {}),
    });
    const ok = await new Promise<boolean>((resolve) => {
      client.once('connect', () => resolve(true));
      client.once('error', () => resolve(false));
      client.once('close', () => resolve(false));
    });
    if (!ok) {
      stats.connectFailures++;
      client.end(true);
      return false;
    }
    client.on('error', () => undefined); // errors surface through publish callbacks
    clients.set(id, client);
    stats.connects++;
    if (status) await send(client, statusTopic(id), 'online', true).catch(() => undefined);
    return true;
  }

  async function disconnect(id: string, mode: 'clean' | 'crash'): Promise<void> {
    const client = clients.get(id);
    if (!client) return;
    clients.delete(id);
    stats.disconnects++;
    if (mode === 'clean') {
      if (status) await send(client, statusTopic(id), 'offline', true).catch(() => undefined);
      await new Promise<void>((r) => client.end(false, {}, () => r()));
    } else {
      // No DISCONNECT packet: the broker sees the socket go and publishes the last will.
      client.stream?.destroy();
      await new Promise<void>((r) => client.end(true, {}, () => r()));
    }
  }

  async function publish(id: string, payload: Payload): Promise<void> {
    const client = clients.get(id);
    if (!client || !client.connected) {
      stats.skipped++;
      return;
    }
    stats.published++;
    try {
      await send(client, telemetryTopic(id), typeof payload === 'string' ? payload : Buffer.from(payload), false);
      stats.acked++;
    } catch {
      stats.failed++;
    }
  }

  return {
    connect,
    disconnect,
    publish,
    isConnected: (id) => clients.get(id)?.connected === true,
    stats: () => stats,
    async close() {
      const all = [...clients.values()];
      clients.clear();
      await Promise.all(all.map((c) => new Promise<void>((r) => c.end(false, {}, () => r()))));
    },
  };
}
