import { describe, expect, it } from 'vitest';
import { createDrift, createRng } from './rng';

const draw = (seed: number | string, label: string, n: number) => {
  const r = createRng(seed, label);
  return Array.from({ length: n }, () => r.next());
};

describe('the seeded random streams', () => {
  it('repeat exactly for the same seed and label', () => {
    expect(draw(42, 'gauge-001', 50)).toEqual(draw(42, 'gauge-001', 50));
  });

  it('differ between seeds and between labels (each device has its own stream)', () => {
    expect(draw(42, 'gauge-001', 5)).not.toEqual(draw(43, 'gauge-001', 5));
    expect(draw(42, 'gauge-001', 5)).not.toEqual(draw(42, 'gauge-002', 5));
  });

  it('forks streams that do not depend on how much the parent has drawn', () => {
    const a = createRng(7);
    const b = createRng(7);
    for (let i = 0; i < 100; i++) b.next();
    expect(a.fork('model').next()).toBe(b.fork('model').next());
  });

  it('stays in range and gives normal deviates with about the asked mean and spread', () => {
    const r = createRng(1, 'stats');
    let sum = 0;
    let sq = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      const x = r.normal(10, 2);
      sum += x;
      sq += x * x;
    }
    const mean = sum / n;
    const sd = Math.sqrt(sq / n - mean * mean);
    expect(mean).toBeCloseTo(10, 1);
    expect(sd).toBeGreaterThan(1.9);
    expect(sd).toBeLessThan(2.1);
    for (let i = 0; i < 1000; i++) {
      const k = r.int(3, 5);
      expect([3, 4, 5]).toContain(k);
    }
  });

  it('drifts slowly: consecutive steps of an AR(1) process are strongly correlated', () => {
    const d = createDrift(createRng(5, 'drift'), 1, 3600);
    let prev = d.value;
    let maxJump = 0;
    for (let i = 0; i < 500; i++) {
      const x = d.step(60);
      maxJump = Math.max(maxJump, Math.abs(x - prev));
      prev = x;
    }
    expect(maxJump).toBeLessThan(1); // a one-minute step of a one-hour process moves a fraction of its sd
  });
});
