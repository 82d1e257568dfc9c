import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration';

describe('durations in scenario files', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['-40s', -40_000],
    ['+2h', 7_200_000],
    ['0', 0],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', 'h', '5 m', '1h 30m', '3w', '--1h', '1h-30m'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('prints durations compactly, with a sign when asked', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(90_061_000)).toBe('1d01h01m01s');
    expect(formatDuration(0, true)).toBe('+0s');
    expect(formatDuration(-40_000, true)).toBe('-40s');
    expect(formatDuration(2_478_000, true)).toBe('+41m18s');
  });
});
