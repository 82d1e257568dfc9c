import { readFile } from 'node:fs/promises';
import type { KafkaBusOptions } from '@ganzhi/bus';
import type { Logger } from '@ganzhi/log';
import { GanzhiError } from '@ganzhi/schemas';
import type { RuntimeConfig } from './config';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The Kafka bus options a runtime config names: brokers, topic prefix, topic layout, SASL and
 * TLS. Reads the files the KAFKA_*_FILE variables name; one that cannot be read stops start-up
 * with GANZHI_ERR_CFG_INVALID naming the variable.
 */
export async function kafkaBusOptions(config: RuntimeConfig, clientId: string, logger: Logger): Promise<KafkaBusOptions> {
  const o: Mutable<KafkaBusOptions> = {
    brokers: [...config.KAFKA_BROKERS],
    clientId,
    partitions: config.KAFKA_PARTITIONS,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    batch: { lingerMs: config.KAFKA_LINGER_MS },
    consumer: { sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS, heartbeatIntervalMs: Math.max(500, Math.floor(config.KAFKA_SESSION_TIMEOUT_MS / 10)) },
    logger,
  };
  if (config.KAFKA_REPLICATION_FACTOR !== undefined) o.replicationFactor = config.KAFKA_REPLICATION_FACTOR;
  if (config.KAFKA_MIN_INSYNC_REPLICAS !== undefined) o.minInsyncReplicas = config.KAFKA_MIN_INSYNC_REPLICAS;
  if (config.KAFKA_SASL_MECHANISM !== undefined) {
    const username = config.KAFKA_SASL_USERNAME ?? '';
    const password = config.KAFKA_SASL_PASSWORD ?? (await file('KAFKA_SASL_PASSWORD_FILE', config.KAFKA_SASL_PASSWORD_FILE)).replace(/\r?\n$/, '');
    o.sasl = { mechanism: config.KAFKA_SASL_MECHANISM, username, password };
  }
  const ca = config.KAFKA_TLS_CA_FILE;
  const cert = config.KAFKA_TLS_CERT_FILE;
  const key = config.KAFKA_TLS_KEY_FILE;
  if (config.KAFKA_TLS || ca !== undefined || cert !== undefined) {
    o.ssl = {
      ...(ca !== undefined ? { ca: await file('KAFKA_TLS_CA_FILE', ca) } : {}),
      ...(cert !== undefined ? { cert: await file('KAFKA_TLS_CERT_FILE', cert) } : {}),
      ...(key !== undefined ? { key: await file('KAFKA_TLS_KEY_FILE', key) } : {}),
    };
  } else if (o.sasl !== undefined && o.sasl.mechanism === 'plain') {
    logger.warn('KAFKA_SASL_MECHANISM=plain without KAFKA_TLS sends the password in clear text');
  }
  return o;
}

async function file(variable: string, path: string | undefined): Promise<string> {
  try {
    return await readFile(path ?? '', 'utf8');
  } catch (err) {
    throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `${variable}: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
      details: { fields: [variable] },
    });
  }
}
