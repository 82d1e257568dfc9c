import mqtt, { type MqttClient } from 'mqtt';
import { reactive } from 'vue';
import { get, type AlertChange, type ConsoleConfig } from './api';

interface BoardEntry {
  alert: AlertChange;
  /** The MQTT topic it was last seen on (a retained alert moves topic when its grade changes). */
  topic?: string;
}

/**
 * The live link: an MQTT client over WebSocket with the operator's own credentials, subscribed to
 * `alerts/#` and `escalations/#`. Retained messages give the current board at once; changes arrive
 * as they happen; the state shows when the link is down, and mqtt.js reconnects.
 */
export const live = reactive({
  state: 'down' as 'down' | 'connecting' | 'up',
  alerts: new Map<string, BoardEntry>(),
  /** Bumped on every change, so views can refetch details. */
  version: 0,
  /** When the last new red alert arrived (the board flashes and beeps). */
  redAt: 0,
});

let client: MqttClient | undefined;

function wsUrl(config: ConsoleConfig): string {
  if (config.mqtt.url) return config.mqtt.url;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.hostname}:${config.mqtt.port ?? 8083}/mqtt`;
}

/** Merges an alert change into the board (newer seq wins; closed ones leave). */
export function applyAlert(change: AlertChange, topic?: string): void {
  const prev = live.alerts.get(change.alertId);
  if (prev && prev.alert.seq > change.seq) return;
  if (change.status === 'closed') live.alerts.delete(change.alertId);
  else live.alerts.set(change.alertId, { alert: change, ...(topic ? { topic } : prev?.topic ? { topic: prev.topic } : {}) });
  live.version++;
}

export async function connectLive(username: string, password: string): Promise<void> {
  disconnectLive();
  const config = await get<ConsoleConfig>('/api/console/config');
  live.state = 'connecting';
  const c = mqtt.connect(wsUrl(config), { username, password, clientId: `console-${username}-${Math.random().toString(36).slice(2, 10)}`, reconnectPeriod: 2000, connectTimeout: 10_000, clean: true });
  client = c;
  c.on('connect', () => {
    live.state = 'up';
    c.subscribe(['alerts/#', 'escalations/#'], { qos: 1 });
  });
  c.on('reconnect', () => (live.state = 'connecting'));
  c.on('close', () => (live.state = client === c ? 'down' : live.state));
  c.on('offline', () => (live.state = 'down'));
  c.on('message', (topic, payload, packet) => {
    if (payload.length === 0) {
      // a cleared retained alert: whatever was last seen on that topic has moved or closed
      for (const [id, e] of live.alerts) if (e.topic === topic) live.alerts.delete(id);
      live.version++;
      return;
    }
    let change: AlertChange;
    try {
      change = JSON.parse(payload.toString()) as AlertChange;
    } catch {
      return;
    }
    const isNew = !live.alerts.has(change.alertId);
    applyAlert(change, topic.startsWith('alerts/') ? topic : undefined);
    if (change.level === 'red' && !packet.retain && (isNew || change.event.type === 'upgraded' || topic.startsWith('escalations/'))) live.redAt = Date.now();
  });
}

export function disconnectLive(): void {
  client?.end(true);
  client = undefined;
  live.state = 'down';
}
