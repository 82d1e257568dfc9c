import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/** Demo credentials (deploy/demo/registry.json): the password of `id` is `demo-<id>`. */
export const demoPassword = (id: string) => `demo-${id}`;

/** Connects a real MQTT client over TCP; rejects with the CONNACK error when refused. */
export function connect(url: string, username: string, password = demoPassword(username), extra: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { username, password, reconnectPeriod: 0, connectTimeout: 10_000, clientId: `${username}-${Math.random().toString(36).slice(2, 8)}`, ...extra });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

/** Collects messages on `client` (after subscribing) until `predicate` holds or the deadline passes. */
export function collect(client: MqttClient, predicate: (all: Received[]) => boolean, timeoutMs = 20_000): Promise<Received[]> {
  const got: Received[] = [];
  return new Promise((resolve, reject) => {
    const onMessage = (topic: string, payload: Buffer, packet: { retain?: boolean }) => {
      got.push({ topic, payload: payload.toString('utf8'), retain: Boolean(packet.retain) });
      if (predicate(got)) finish();
    };
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`timed out after ${timeoutMs} ms; received ${got.length}, the last: ${got.slice(-10).map((g) => g.topic).join(', ')}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(got);
    };
    client.on('message', onMessage);
  });
}

export function publish(client: MqttClient, topic: string, payload: string | Buffer, qos: 0 | 1 = 1): Promise<void> {
  return new Promise((resolve, reject) => client.publish(topic, payload, { qos }, (err) => (err ? reject(err) : resolve())));
}

export function subscribe(client: MqttClient, filter: string, qos: 0 | 1 = 1): Promise<number> {
  // mqtt.js reports a SUBACK failure (0x80) as an error carrying the SUBACK packet: return its code
  return new Promise((resolve, reject) =>
    client.subscribe(filter, { qos }, (err, granted) => {
      const failure = (err as { packet?: { granted?: unknown[] } } | null)?.packet?.granted?.[0];
      if (typeof failure === 'number') resolve(failure);
      else if (err) reject(err);
      else resolve(granted?.[0]?.qos ?? -1);
    }),
  );
}

/** Resolves when the connection closes (or rejects after the deadline). */
export function closed(client: MqttClient, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!client.connected) return resolve();
    const timer = setTimeout(() => reject(new Error('connection stayed open')), timeoutMs);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function end(...clients: (MqttClient | undefined)[]): Promise<void> {
  await Promise.all(clients.map((c) => c && new Promise<void>((r) => c.end(true, {}, () => r()))));
}
