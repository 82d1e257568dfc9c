import { describe, expect, it } from 'vitest';
import { formatHj212Time, formatSl651Time, parseHj212Time, parseIsoTime, parseSl651Time } from './time';

describe('China-time conversions (UTC+8)', () => {
  it('reads a 14-digit HJ 212 DataTime as China time', () => {
    expect(parseHj212Time('20240601120000')).toBe(Date.UTC(2024, 5, 1, 4, 0, 0));
  });

  it('reads a 17-digit QN with milliseconds, across midnight UTC', () => {
    expect(parseHj212Time('20240101073000250')).toBe(Date.UTC(2023, 11, 31, 23, 30, 0, 250));
  });

  it.each(['20240230120000', '20241301120000', '20240601246000', '2024060112000', '2024O601120000'])('rejects %s', (text) => {
    expect(parseHj212Time(text)).toBeUndefined();
  });

  it('accepts 29 February only in leap years', () => {
    expect(parseHj212Time('20240229000000')).toBeDefined();
    expect(parseHj212Time('20230229000000')).toBeUndefined();
  });

  it('formats what it parses', () => {
    const t = Date.UTC(2024, 5, 1, 4, 5, 6, 789);
    expect(formatHj212Time(t)).toBe('20240601120506');
    expect(parseHj212Time(formatHj212Time(t, true))).toBe(t);
    expect(formatSl651Time(t, true)).toBe('240601120506');
    expect(parseSl651Time(formatSl651Time(t, false))).toBe(Date.UTC(2024, 5, 1, 4, 5));
  });

  it('reads ISO 8601 only with a zone', () => {
    expect(parseIsoTime('2024-06-01T12:00:00.5Z')).toBe(Date.UTC(2024, 5, 1, 12, 0, 0, 500));
    expect(parseIsoTime('2024-06-01T20:00:00+0800')).toBe(Date.UTC(2024, 5, 1, 12));
    expect(parseIsoTime('2024-06-01T12:00:00')).toBeUndefined();
    expect(parseIsoTime('June 1 2024')).toBeUndefined();
  });
});
