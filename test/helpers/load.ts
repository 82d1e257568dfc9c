import type { MqttClient } from 'mqtt';
import { connect } from './mqtt';

export interface DeviceLoad {
  /** PUBACKs received so far, per device. */
  acked(): Map<string, number>;
  /** Total PUBACKs so far. */
  total(): number;
  /** Stops publishing and disconnects every device. */
  stop(): Promise<void>;
}

/**
 * River gauges publishing QoS 1 telemetry as fast as their PUBACKs come back, `window` in flight
 * each, a steady level well below any warning level. Bounded: each device stops after `maxPerDevice`.
 */
export async function startDeviceLoad(url: string, ids: string[], options: { window?: number; maxPerDevice?: number; padding?: number } = {}): Promise<DeviceLoad> {
  const window = options.window ?? 4;
  const max = options.maxPerDevice ?? 100_000;
  const pad = 'x'.repeat(options.padding ?? 0);
  const acked = new Map<string, number>();
  const clients: MqttClient[] = [];
  let stopped = false;
  const base = Date.UTC(2026, 0, 1);
  await Promise.all(
    ids.map(async (id) => {
      const client = await connect(url, id, undefined, { clientId: id });
      client.on('error', () => undefined);
      clients.push(client);
      acked.set(id, 0);
      let sent = 0;
      let inFlight = 0;
      const pump = () => {
        while (!stopped && inFlight < window && sent < max) {
          const ts = base + sent++ * 1000;
          inFlight++;
          client.publish(`devices/${id}/telemetry`, JSON.stringify({ ts, waterLevel: 3, note: pad }), { qos: 1 }, (err) => {
            inFlight--;
            if (err) return; // the connection is gone; this device is done
            acked.set(id, acked.get(id)! + 1);
            setImmediate(pump);
          });
        }
      };
      pump();
    }),
  );
  return {
    acked: () => new Map(acked),
    total: () => [...acked.values()].reduce((a, b) => a + b, 0),
    async stop() {
      stopped = true;
      await Promise.all(clients.map((c) => new Promise<void>((resolve) => c.end(true, {}, () => resolve()))));
    },
  };
}
