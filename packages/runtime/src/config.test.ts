import { describe, expect, it } from 'vitest';
import { RuntimeConfigSchema, duckdbLingerMs } from './config';

describe('the DuckDB write-group linger', () => {
  const parse = (v: string | undefined) => RuntimeConfigSchema.shape.GANZHI_DUCKDB_LINGER_MS.parse(v);
  it('is 1 s on either bus unless set, and what is set otherwise', () => {
    expect(duckdbLingerMs({ GANZHI_DUCKDB_LINGER_MS: parse(undefined), GANZHI_BUS: 'embedded' })).toBe(1000);
    expect(duckdbLingerMs({ GANZHI_DUCKDB_LINGER_MS: parse(undefined), GANZHI_BUS: 'kafka' })).toBe(1000);
    expect(duckdbLingerMs({ GANZHI_DUCKDB_LINGER_MS: parse('250'), GANZHI_BUS: 'kafka' })).toBe(250);
    expect(duckdbLingerMs({ GANZHI_DUCKDB_LINGER_MS: parse('0'), GANZHI_BUS: 'embedded' })).toBe(0);
  });
  it('refuses what is not a whole number of ms up to 10 s', () => {
    expect(() => parse('soon')).toThrow();
    expect(() => parse('20000')).toThrow();
  });
});
