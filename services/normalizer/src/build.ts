import type { Bus, Subscription } from '@ganzhi/bus';
import { normalize } from '@ganzhi/codecs';
import type { Logger } from '@ganzhi/log';
import type { Device, Registry } from '@ganzhi/registry';
import { topicKey, type DeadLetter, type RawEnvelope, type Reading } from '@ganzhi/schemas';

export interface NormalizerDeps {
  bus: Bus;
  registry: Registry;
  logger: Logger;
}

export interface Normalizer {
  start(): Promise<void>;
  close(): Promise<void>;
  stats(): Readonly<{ records: number; readings: number; deadLetters: number }>;
}

/** A device's `devices/{id}/status` message (payload `online`/`offline`, also its last will). */
export function statusReading(raw: RawEnvelope, site: string | undefined): Reading | undefined {
  const text = raw.payload.trim().toLowerCase();
  if (text !== 'online' && text !== 'offline') return undefined;
  return {
    deviceId: raw.deviceId,
    kind: raw.kind,
    ...(site ? { site } : {}),
    ts: raw.receivedAt,
    metrics: { online: { value: text === 'online' ? 1 : 0, unit: '', quality: 'N' } },
    states: { status: text },
    sourceId: raw.id,
    receivedAt: raw.receivedAt,
    origin: 'status',
  };
}

/**
 * The pure core, held to its contract: whatever it throws on a record (it should return a typed
 * failure instead) parks that record with GANZHI_ERR_STAGE_FAILED and the error, never the batch.
 */
function normalizeSafely(raw: RawEnvelope, device: Device | undefined): ReturnType<typeof normalize> {
  try {
    return normalize(raw, device);
  } catch (err) {
    return { ok: false, code: 'GANZHI_ERR_STAGE_FAILED', reason: `normalize threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}` };
  }
}

/**
 * The normalizer runner: raw envelopes in; readings out, or a dead-letter record with a typed
 * reason. One device's bad payload never holds up another's: each record is judged alone.
 */
export function buildNormalizer(deps: NormalizerDeps, options: { group?: string } = {}): Normalizer {
  /** records: raw envelopes handled (one may give several readings, or none). */
  const stats = { records: 0, readings: 0, deadLetters: 0 };
  let sub: Subscription | undefined;
  const { bus, registry } = deps;

  function deadLetter(raw: RawEnvelope, code: DeadLetter['code'], reason: string): DeadLetter {
    return { id: raw.id, stage: 'normalizer', code, reason, at: Date.now(), deviceId: raw.deviceId, source: { topic: 'ganzhi.raw.v1', key: raw.deviceId, value: raw } };
  }

  return {
    stats: () => stats,
    async start() {
      sub = await bus.subscribe(options.group ?? 'normalizer', {
        'ganzhi.raw.v1': async (batch) => {
          const readings: Reading[] = [];
          const dead: DeadLetter[] = [];
          for (const { value: raw } of batch) {
            const device = registry.device(raw.deviceId);
            if (raw.topic.endsWith('/status')) {
              const r = statusReading(raw, device?.site);
              if (r) readings.push(r);
              else dead.push(deadLetter(raw, 'GANZHI_ERR_NORM_SCHEMA', 'status payload must be "online" or "offline"'));
              continue;
            }
            if (raw.payload.length === 0) {
              dead.push(deadLetter(raw, 'GANZHI_ERR_NORM_EMPTY', `empty ${raw.format} payload`));
              continue;
            }
            const result = normalizeSafely(raw, device);
            if (result.ok) readings.push(...result.readings);
            else dead.push(deadLetter(raw, result.code, result.reason));
          }
          await Promise.all([
            readings.length && bus.publish('ganzhi.readings.v1', readings.map((r) => ({ key: topicKey('ganzhi.readings.v1', r), value: r }))),
            dead.length && bus.publish('ganzhi.deadletter.v1', dead.map((d) => ({ key: d.deviceId ?? d.stage, value: d }))),
          ]);
          stats.records += batch.length;
          stats.readings += readings.length;
          stats.deadLetters += dead.length;
        },
      });
      deps.logger.child({ component: 'normalizer' }).info('normalizer started');
    },
    async close() {
      await sub?.close();
    },
  };
}
