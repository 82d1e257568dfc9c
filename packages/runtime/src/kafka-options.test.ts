import { describe, expect, it } from 'vitest';
import { createLogger } from '@ganzhi/log';
import { RuntimeConfigSchema, type RuntimeConfig } from './config';
import { kafkaBusOptions } from './kafka-options';

const logger = createLogger({ level: 'silent' });
const config = (env: Record<string, string>): RuntimeConfig => RuntimeConfigSchema.parse({ GANZHI_BUS: 'kafka', KAFKA_BROKERS: '127.0.0.1:9092', ...env });

describe('the Kafka producer linger (KAFKA_LINGER_MS)', () => {
  it('is 10 ms unless set, and reaches the bus as its batch linger', async () => {
    expect((await kafkaBusOptions(config({}), 'gw-1', logger)).batch?.lingerMs).toBe(10);
    expect((await kafkaBusOptions(config({ KAFKA_LINGER_MS: '0' }), 'gw-1', logger)).batch?.lingerMs).toBe(0);
    expect((await kafkaBusOptions(config({ KAFKA_LINGER_MS: '25' }), 'gw-1', logger)).batch?.lingerMs).toBe(25);
  });
  it('refuses what is not a whole number of ms up to 1 s, naming the variable', () => {
    for (const bad of ['soon', '-1', '2.5', '5000']) {
      const r = RuntimeConfigSchema.safeParse({ GANZHI_BUS: 'kafka', KAFKA_BROKERS: 'b:9092', KAFKA_LINGER_MS: bad });
      expect(r.success).toBe(false);
      expect(r.error?.issues.map((i) => i.path.join('.'))).toContain('KAFKA_LINGER_MS');
    }
  });
});
