import { describe, expect, it } from 'vitest';
import { PreviousSecondRate, RateGatedLinger } from './rate-window';

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

describe('RateGatedLinger', () => {
  it('lingers only after a second with at least its rate of events (default 500 / ms), never without a linger', () => {
    let now = 10_000;
    const linger = new RateGatedLinger(10, undefined, () => now); // from 50 a second
    linger.count(49);
    now += 1_000;
    expect(linger.ms).toBe(0);
    linger.count(50);
    now += 1_000;
    expect(linger.ms).toBe(10);
    now += 2_000;
    expect(linger.ms).toBe(0);
    const always = new RateGatedLinger(10, 0, () => now);
    expect(always.ms).toBe(10);
    const none = new RateGatedLinger(0, 0, () => now);
    none.count(1_000);
    now += 1_000;
    expect(none.ms).toBe(0);
  });
});
