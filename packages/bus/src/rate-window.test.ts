import { describe, expect, it } from 'vitest';
import { PreviousSecondRate } from './rate-window';

describe('PreviousSecondRate', () => {
  it("reports the previous whole second's count, and none after a pause longer than a second", () => {
    let now = 10_000;
    const rate = new PreviousSecondRate(() => now);
    rate.add(); // opens a window at 10,000
    rate.add(40);
    expect(rate.previous).toBe(0); // the first second is still running
    now += 1_000;
    expect(rate.previous).toBe(41);
    rate.add(7);
    now += 999;
    expect(rate.previous).toBe(41);
    now += 1;
    expect(rate.previous).toBe(7);
    now += 2_000; // nothing for over a second
    expect(rate.previous).toBe(0);
  });
});
