import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle';

describe('LoginThrottle', () => {
  it('refuses an address past its failures, and forgets them after the window', () => {
    let now = 0;
    {
      const t = new LoginThrottle({ maxPerAddress: 3, maxPerUser: 100, windowMs: 60_000, now: () => now });
      for (let i = 0; i < 3; i++) {
        expect(t.refusal('10.0.0.1', `u${i}`)).toBeUndefined();
        t.failed('10.0.0.1', `u${i}`);
      }
      expect(t.refusal('10.0.0.1', 'anyone')).toBe('address');
      expect(t.refusal('10.0.0.2', 'anyone')).toBeUndefined();
      now += 60_001;
      expect(t.refusal('10.0.0.1', 'anyone')).toBeUndefined();
    }
  });

  it('refuses a username guessed from many addresses', () => {
    const t = new LoginThrottle({ maxPerAddress: 100, maxPerUser: 2, windowMs: 60_000 });
    t.failed('a', 'gauge-001');
    t.failed('b', 'gauge-001');
    expect(t.refusal('c', 'gauge-001')).toBe('user');
    expect(t.refusal('c', 'gauge-002')).toBeUndefined();
  });

  it('keeps a bounded number of counters however many addresses fail', () => {
    const t = new LoginThrottle({ maxPerAddress: 5, maxPerUser: 5, windowMs: 60_000, maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) t.failed(`addr-${i}`, `user-${i}`);
    expect(t.size()).toEqual({ addresses: 100, users: 100 });
  });
});
