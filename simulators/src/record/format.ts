import { z } from 'zod';
import { GanzhiError } from '@ganzhi/schemas';
import type { Action, Plan } from '../plan';

/*
 * Recording files: NDJSON. The first line is a header, then one line per MQTT message as the
 * recorder received it:
 *   {"type":"header","version":1,"recordedAt":1720569600000,"url":"mqtt://…","filters":["devices/#"]}
 *   {"t":1520,"at":1720569601520,"topic":"devices/gauge-001/telemetry","retain":false,"qos":1,"encoding":"utf8","payload":"{…}"}
 * `t` is ms since the recording started; `encoding` is utf8 for text and base64 for anything that
 * is not valid printable UTF-8 (SL 651 frames).
 */

export const RecordingHeaderSchema = z.object({
  type: z.literal('header'),
  version: z.literal(1),
  recordedAt: z.number().int().nonnegative(),
  url: z.string(),
  filters: z.array(z.string()),
});
export type RecordingHeader = z.infer<typeof RecordingHeaderSchema>;

export const RecordedMessageSchema = z.object({
  t: z.number().nonnegative(),
  at: z.number().int().nonnegative(),
  topic: z.string().min(1),
  retain: z.boolean().default(false),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
  encoding: z.enum(['utf8', 'base64']),
  payload: z.string(),
});
export type RecordedMessage = z.infer<typeof RecordedMessageSchema>;

export interface Recording {
  readonly header: RecordingHeader;
  readonly messages: readonly RecordedMessage[];
}

/** Printable UTF-8 (tabs and newlines allowed) travels as text; anything else as base64. */
export function encodeRecordedPayload(payload: Buffer): { encoding: 'utf8' | 'base64'; payload: string } {
  const text = payload.toString('utf8');
  const printable = Buffer.from(text, 'utf8').equals(payload) && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/.test(text);
  return printable ? { encoding: 'utf8', payload: text } : { encoding: 'base64', payload: payload.toString('base64') };
}

export function decodeRecordedPayload(m: Pick<RecordedMessage, 'encoding' | 'payload'>): Buffer {
  return Buffer.from(m.payload, m.encoding);
}

/** Parses a recording; fails with GANZHI_ERR_SIM_RECORDING naming the line. */
export function parseRecording(text: string, source = 'recording'): Recording {
  const lines = text.split('\n');
  let header: RecordingHeader | undefined;
  const messages: RecordedMessage[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch {
      throw new GanzhiError('GANZHI_ERR_SIM_RECORDING', `${source}:${i + 1}: not JSON`);
    }
    const schema = header === undefined ? RecordingHeaderSchema : RecordedMessageSchema;
    const parsed = schema.safeParse(doc);
    if (!parsed.success) {
      const why = parsed.error.issues.map((x) => `${x.path.join('.') || '(line)'}: ${x.message}`).join('; ');
      throw new GanzhiError('GANZHI_ERR_SIM_RECORDING', `${source}:${i + 1}: ${header === undefined ? 'expected the header line: ' : ''}${why}`);
    }
    if (header === undefined) header = parsed.data as RecordingHeader;
    else messages.push(parsed.data as RecordedMessage);
  }
  if (header === undefined) throw new GanzhiError('GANZHI_ERR_SIM_RECORDING', `${source}: empty (no header line)`);
  return { header, messages };
}

const TELEMETRY = /^devices\/([^/]+)\/telemetry$/;

export interface ReplayOptions {
  /** Shift numeric `ts` fields of JSON payloads by this many ms (replaying old traffic as if now). */
  readonly shiftTs?: number;
}

/**
 * A recording as a plan the runners can carry out: each device that published telemetry connects
 * just before its first message, then every telemetry message is sent again at its recorded time.
 * Retained messages (state from before the recording) and non-device topics are skipped.
 */
export function replayPlan(recording: Recording, options: ReplayOptions = {}): Plan {
  const actions: Action[] = [];
  const seen = new Set<string>();
  let duration = 0;
  for (const m of recording.messages) {
    const match = TELEMETRY.exec(m.topic);
    if (!match || m.retain) continue;
    const device = match[1]!;
    if (!seen.has(device)) {
      seen.add(device);
      actions.push({ t: m.t, device, type: 'connect' });
    }
    const bytes = decodeRecordedPayload(m);
    const payload = m.encoding === 'utf8' ? shiftJsonTs(bytes.toString('utf8'), options.shiftTs ?? 0) : new Uint8Array(bytes);
    actions.push({ t: m.t, device, type: 'telemetry', ts: m.at, payload });
    duration = Math.max(duration, m.t);
  }
  return {
    name: `replay of ${recording.header.url} at ${new Date(recording.header.recordedAt).toISOString()}`,
    seed: 0,
    start: recording.header.recordedAt,
    duration,
    devices: [],
    actions,
  };
}

/** A JSON object payload with its numeric `ts` moved by `shift` ms; anything else unchanged. */
export function shiftJsonTs(text: string, shift: number): string {
  if (shift === 0) return text;
  try {
    const doc = JSON.parse(text) as unknown;
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return text;
    const obj = doc as Record<string, unknown>;
    if (typeof obj.ts !== 'number') return text;
    return JSON.stringify({ ...obj, ts: obj.ts + shift });
  } catch {
    return text;
  }
}
