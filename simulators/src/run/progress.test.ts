import { describe, expect, it } from 'vitest';
import { progressText } from './progress';

describe('progress output', () => {
  it('draws a bar for terminals and a plain line for logs', () => {
    const p = { t: 5_400_000, duration: 14_400_000, done: 25, total: 100, counters: { alerts: 3 } };
    expect(progressText(p, 10)).toBe('[###-------]  25%  1h30m / 4h  alerts 3');
    expect(progressText(p, 10, false)).toBe('progress  25%  scenario 1h30m / 4h  actions 25/100  alerts 3');
  });
});
