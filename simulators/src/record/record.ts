import mqtt from 'mqtt';
import { GanzhiError } from '@ganzhi/schemas';
import { encodeRecordedPayload, type RecordedMessage, type RecordingHeader } from './format';

export interface RecordOptions {
  readonly url: string;
  /** An operator with the admin role may read `devices/#` (services/gateway acl.ts). */
  readonly username: string;
  readonly password: string;
  readonly filters: readonly string[];
  /** Receives each NDJSON line (with its newline). */
  readonly write: (line: string) => void;
  /** Stop after this long (default: until `signal`). */
  readonly durationMs?: number;
  /** Stop after this many messages. */
  readonly maxMessages?: number;
  readonly signal?: AbortSignal;
  readonly onMessage?: (count: number, topic: string) => void;
  readonly now?: () => number;
}

/**
 * Records the live MQTT traffic the user may see into NDJSON (record/format.ts). Ends when the
 * signal aborts, the duration passes or the message limit is reached; resolves with the count.
 */
export async function recordTraffic(options: RecordOptions): Promise<{ messages: number; refused: string[] }> {
  const now = options.now ?? Date.now;
  const client = await mqtt.connectAsync(options.url, {
    username: options.username,
    password: options.password,
    clientId: `${options.username}-rec-${process.pid}-${now().toString(36)}`,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
  });
  const recordedAt = now();
  const header: RecordingHeader = { type: 'header', version: 1, recordedAt, url: options.url, filters: [...options.filters] };
  options.write(`${JSON.stringify(header)}\n`);
  let count = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((r) => (finish = r));
  client.on('message', (topic, payload, packet) => {
    if (options.maxMessages !== undefined && count >= options.maxMessages) return;
    const at = now();
    const line: RecordedMessage = { t: at - recordedAt, at, topic, retain: Boolean(packet.retain), qos: packet.qos, ...encodeRecordedPayload(payload) };
    options.write(`${JSON.stringify(line)}\n`);
    count++;
    options.onMessage?.(count, topic);
    if (options.maxMessages !== undefined && count >= options.maxMessages) finish();
  });
  const refused: string[] = [];
  for (const filter of options.filters) {
    const granted = await client.subscribeAsync(filter, { qos: 1 });
    if (granted.some((g) => g.qos === 128)) refused.push(filter);
  }
  if (refused.length === options.filters.length) {
    await client.endAsync(true);
    throw new GanzhiError('GANZHI_ERR_GW_FORBIDDEN_SUBSCRIBE', `${options.username} may not subscribe to ${refused.join(', ')} (devices/# needs an admin operator)`);
  }
  const timer = options.durationMs !== undefined ? setTimeout(finish, options.durationMs) : undefined;
  options.signal?.addEventListener('abort', finish, { once: true });
  if (options.signal?.aborted) finish();
  await finished;
  if (timer) clearTimeout(timer);
  await client.endAsync();
  return { messages: count, refused };
}
