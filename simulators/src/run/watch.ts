import mqtt, { type MqttClient } from 'mqtt';
import { AlertChangeSchema, GanzhiError, type AlertChange } from '@ganzhi/schemas';

export interface AlertWatcher {
  /** Every alert change received since subscribing, in arrival order. */
  changes(): readonly AlertChange[];
  /** Non-empty alert messages received (including ones that did not parse). */
  received(): number;
  /** Payloads on alert topics that were not an alert change. */
  invalid(): number;
  onChange(listener: (change: AlertChange) => void): void;
  close(): Promise<void>;
}

/**
 * Subscribes to `alerts/#` as an operator and keeps the alert changes that happen from now on:
 * retained messages (the state before the run) and empty payloads (cleared retained topics) are
 * ignored.
 */
export async function watchAlerts(url: string, username: string, password: string, filter = 'alerts/#'): Promise<AlertWatcher> {
  const client: MqttClient = await mqtt.connectAsync(url, {
    username,
    password,
    clientId: `${username}-watch-${process.pid}-${Date.now().toString(36)}`,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
  });
  const changes: AlertChange[] = [];
  const listeners: ((c: AlertChange) => void)[] = [];
  let received = 0;
  let invalid = 0;
  client.on('message', (_topic, payload, packet) => {
    if (packet.retain || payload.length === 0) return;
    received++;
    let doc: unknown;
    try {
      doc = JSON.parse(payload.toString('utf8'));
    } catch {
      invalid++;
      return;
    }
    const parsed = AlertChangeSchema.safeParse(doc);
    if (!parsed.success) {
      invalid++;
      return;
    }
    changes.push(parsed.data);
    for (const l of listeners) l(parsed.data);
  });
  const granted = await client.subscribeAsync(filter, { qos: 1 });
  if (granted.some((g) => g.qos === 128)) {
    await client.endAsync(true);
    throw new GanzhiError('GANZHI_ERR_GW_FORBIDDEN_SUBSCRIBE', `${username} may not subscribe to ${filter} (SUBACK failure): is it an operator?`);
  }
  return {
    changes: () => changes,
    received: () => received,
    invalid: () => invalid,
    onChange: (l) => void listeners.push(l),
    close: () => client.endAsync(),
  };
}
