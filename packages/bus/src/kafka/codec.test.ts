import { describe, expect, it } from 'vitest';
import { GanzhiError } from '@ganzhi/schemas';
import type { DeadLetter } from '@ganzhi/schemas';
import { codeOf, deadLetterFor, decodeRecord, stateTopicName } from './codec';
import type { FetchedRecord } from './codec';
import { isTransientKafkaError } from './errors';

const reading = {
  deviceId: 'dev-1',
  kind: 'river_gauge',
  ts: 1_700_000_000_000,
  metrics: { level: { value: 1.5, unit: 'm', quality: 'N' } },
  sourceId: 'src-1',
  receivedAt: 1_700_000_000_005,
};
const fetched = (value: Buffer | null, key: string | null = 'dev-1'): FetchedRecord => ({
  topic: 'ganzhi.readings.v1',
  partition: 3,
  offset: '42',
  key: key === null ? null : Buffer.from(key),
  value,
  timestamp: '1700000000123',
});

describe('decodeRecord', () => {
  it('turns a valid record into a delivery with its position, key and append time', () => {
    const d = decodeRecord('ganzhi.readings.v1', fetched(Buffer.from(JSON.stringify(reading))));
    expect(d).toEqual({
      ok: true,
      delivery: { topic: 'ganzhi.readings.v1', partition: 3, offset: '42', key: 'dev-1', value: reading, timestamp: 1_700_000_000_123 },
    });
  });

  it('refuses values that are not JSON, tombstones, and values that miss the schema, saying why', () => {
    expect(decodeRecord('ganzhi.readings.v1', fetched(Buffer.from('{nope')))).toEqual({ ok: false, reason: 'value is not valid JSON' });
    expect(decodeRecord('ganzhi.readings.v1', fetched(null))).toMatchObject({ ok: false });
    const miss = decodeRecord('ganzhi.readings.v1', fetched(Buffer.from(JSON.stringify({ ...reading, metrics: 'x' }))));
    expect(miss.ok).toBe(false);
    expect(!miss.ok && miss.reason).toMatch(/metrics/);
  });
});

describe('deadLetterFor', () => {
  it('keeps the original record whole, as JSON when it parses and as text otherwise, under an id derived from its position', () => {
    const letter = (value: Buffer) => JSON.parse(deadLetterFor('normalizer', fetched(value), 'GANZHI_ERR_BUS_DECODE', 'bad', 7).value!.toString()) as DeadLetter;
    const json = letter(Buffer.from(JSON.stringify({ a: 1 })));
    expect(json).toEqual({
      id: 'normalizer/ganzhi.readings.v1/3/42',
      stage: 'normalizer',
      code: 'GANZHI_ERR_BUS_DECODE',
      reason: 'bad',
      at: 7,
      deviceId: 'dev-1',
      source: { topic: 'ganzhi.readings.v1', key: 'dev-1', value: { a: 1 } },
    });
    expect(letter(Buffer.from('not json')).source.value).toBe('not json');
  });

  it('is keyed by the device, so dead letters of one device stay in order', () => {
    const out = deadLetterFor('rules', fetched(Buffer.from('{}')), 'GANZHI_ERR_NORM_SCHEMA', 'r', 1);
    expect(out).toMatchObject({ topic: 'ganzhi.deadletter.v1', key: 'dev-1' });
  });

  it('uses the handler error code when there is one', () => {
    expect(codeOf(new GanzhiError('GANZHI_ERR_NORM_SCHEMA'))).toBe('GANZHI_ERR_NORM_SCHEMA');
  });
});

describe('stateTopicName', () => {
  it('prefixes state logs and refuses names Kafka cannot carry', () => {
    expect(stateTopicName('rules.v1')).toBe('ganzhi.state.rules.v1');
    expect(() => stateTopicName('a/b')).toThrow(expect.objectContaining({ code: 'GANZHI_ERR_CFG_INVALID' }));
    expect(() => stateTopicName('x'.repeat(300))).toThrow(expect.objectContaining({ code: 'GANZHI_ERR_CFG_INVALID' }));
  });
});

describe('isTransientKafkaError', () => {
  const kafkaError = (name: string, retriable: boolean, extra: Record<string, unknown> = {}) => Object.assign(new Error(name), { name, retriable, ...extra });

  it('counts unreachable brokers as transient, even when kafkajs wraps them after its own retries', () => {
    expect(isTransientKafkaError(kafkaError('KafkaJSConnectionError', true))).toBe(true);
    const exhausted = kafkaError('KafkaJSNumberOfRetriesExceeded', false, { cause: kafkaError('KafkaJSConnectionError', true) });
    expect(isTransientKafkaError(exhausted)).toBe(true);
  });

  it('counts a broker refusal as final', () => {
    expect(isTransientKafkaError(kafkaError('KafkaJSProtocolError', false, { type: 'MESSAGE_TOO_LARGE' }))).toBe(false);
  });
});
