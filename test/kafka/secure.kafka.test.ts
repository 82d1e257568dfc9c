import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reading } from '@ganzhi/schemas';
import { createKafkaBus } from '@ganzhi/bus';
import type { Delivery } from '@ganzhi/bus';
import { loadConfig } from '@ganzhi/config';
import { silentLogger } from '@ganzhi/log';
import { RuntimeConfigSchema, checkRuntime, kafkaBusOptions } from '@ganzhi/runtime';
import { reportKafkaPeer, runTopicPrefix, startKafkaPeer, startKafkaProxy } from '@ganzhi/testkit';
import type { KafkaPeer, KafkaProxy } from '@ganzhi/testkit';
import { Collector, mine, reading, safeName } from '../../packages/bus/src/contract-kit';

/**
 * TLS and SASL to the brokers, configured the way an operator does (KAFKA_* variables, secrets in
 * files). No broker here speaks TLS or SASL (librdkafka's mock cluster implements neither
 * SaslHandshake nor TLS listeners), so the test's Kafka proxy terminates both in front of the
 * peer: kafkajs runs its real TLS handshake and its real SCRAM/PLAIN client against it.
 */
const topicPrefix = runTopicPrefix('secure');
const run = safeName(`secure-${Date.now().toString(36)}`);
const start = await startKafkaPeer();
reportKafkaPeer('TLS and SASL (test/kafka)', start);
const READINGS = 'ganzhi.readings.v1';
const runtime = RuntimeConfigSchema.superRefine(checkRuntime);

describe.skipIf(!start.peer)('the Kafka bus over TLS with SASL', () => {
  let peer: KafkaPeer;
  let proxy: KafkaProxy;
  let dir: string;
  let cert: string;
  const env = (extra: Record<string, string>) => ({ GANZHI_BUS: 'kafka', KAFKA_BROKERS: proxy.brokers.join(','), KAFKA_TOPIC_PREFIX: topicPrefix, ...extra });

  beforeAll(async () => {
    peer = start.peer!;
    dir = await mkdtemp(join(tmpdir(), 'ganzhi-kafka-tls-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    cert = await readFile(join(dir, 'cert.pem'), 'utf8');
    await writeFile(join(dir, 'password'), 'correct horse\n');
    proxy = await startKafkaProxy({ bootstrap: peer.brokers, tls: { key: await readFile(join(dir, 'key.pem')), cert }, sasl: { users: { ganzhi: 'correct horse' } } });
  });
  afterAll(async () => {
    await proxy?.close();
    await peer?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(['scram-sha-512', 'scram-sha-256', 'plain'] as const)('publishes and consumes with SASL %s over TLS, from KAFKA_* variables and a password file', async (mechanism) => {
    const config = loadConfig(runtime, env({ KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: 'ganzhi', KAFKA_SASL_PASSWORD_FILE: join(dir, 'password'), KAFKA_TLS_CA_FILE: join(dir, 'cert.pem') }));
    const before = proxy.stats().authenticated;
    const bus = await createKafkaBus({ ...(await kafkaBusOptions(config, `secure-${mechanism}`, silentLogger())), consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitMs: 100 } });
    try {
      const marker = `${run}-${mechanism}`;
      const got = new Collector<Delivery<Reading>>();
      const sub = await bus.subscribe(`secure-${mechanism}-${run}`, { [READINGS]: async (b: readonly Delivery<Reading>[]) => got.push(...mine(marker, b)) });
      await bus.publish(READINGS, [1, 2, 3].map((i) => ({ key: 'dev-s', value: reading(marker, 'dev-s', i) })));
      await got.count(3, 'readings through TLS and SASL');
      await sub.close();
    } finally {
      await bus.close();
    }
    expect(proxy.stats().authenticated).toBeGreaterThan(before);
  });

  it('the proxy hands out its own addresses only, so no client goes around it', async () => {
    const admin = new Kafka({ brokers: proxy.brokers, ssl: { ca: cert }, sasl: { mechanism: 'scram-sha-256', username: 'ganzhi', password: 'correct horse' }, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { brokers } = await admin.describeCluster();
      const own = new Set(peer.brokers);
      for (const b of brokers) {
        expect(b.host).toBe('127.0.0.1');
        expect(own.has(`${b.host}:${b.port}`)).toBe(false);
      }
    } finally {
      await admin.disconnect();
    }
  });

  it('refuses a wrong password with GANZHI_ERR_BUS_AUTH (not retryable)', async () => {
    await writeFile(join(dir, 'wrong'), 'battery staple');
    const failures = proxy.stats().authFailures;
    const config = loadConfig(runtime, env({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'ganzhi', KAFKA_SASL_PASSWORD_FILE: join(dir, 'wrong'), KAFKA_TLS_CA_FILE: join(dir, 'cert.pem') }));
    const err: unknown = await createKafkaBus({ ...(await kafkaBusOptions(config, 'secure-wrong', silentLogger())), connectionTimeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'GANZHI_ERR_BUS_AUTH', retryable: false });
    expect(proxy.stats().authFailures).toBeGreaterThan(failures);
  });

  it('refuses a broker whose certificate the CA bundle does not vouch for with GANZHI_ERR_BUS_AUTH', async () => {
    const config = loadConfig(runtime, env({ KAFKA_TLS: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'ganzhi', KAFKA_SASL_PASSWORD: 'correct horse' }));
    const err: unknown = await createKafkaBus(await kafkaBusOptions(config, 'secure-untrusted', silentLogger())).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'GANZHI_ERR_BUS_AUTH' });
    expect(String((err as Error).message)).toMatch(/self-signed certificate/);
  });

  it('stops start-up naming the variable when a secret file cannot be read', async () => {
    const config = loadConfig(runtime, env({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'ganzhi', KAFKA_SASL_PASSWORD_FILE: join(dir, 'missing') }));
    await expect(kafkaBusOptions(config, 'secure-missing', silentLogger())).rejects.toMatchObject({ code: 'GANZHI_ERR_CFG_INVALID', message: expect.stringMatching(/KAFKA_SASL_PASSWORD_FILE/) });
  });
});
