import { describe, expect, it } from 'vitest';
import { createSessions, credentialsOf } from './auth';

describe('session tokens', () => {
  let clock = 1_000_000;
  const sessions = createSessions({ secret: 'x'.repeat(32), ttlMs: 60_000, now: () => clock });

  it('accepts a token it issued until it expires', () => {
    const { token, expiresAt } = sessions.issue('op-alice');
    expect(expiresAt).toBe(clock + 60_000);
    expect(sessions.verify(token)).toEqual({ operatorId: 'op-alice', expiresAt });
    clock += 60_000;
    expect(sessions.verify(token)).toBeUndefined();
  });

  it('refuses a token whose operator or expiry was changed, or that another key signed', () => {
    const { token } = sessions.issue('op-bob');
    const parts = token.split('.');
    expect(sessions.verify([parts[0], 'op-admin', ...parts.slice(2)].join('.'))).toBeUndefined();
    expect(sessions.verify([parts[0], parts[1], (clock + 10 ** 9).toString(36), ...parts.slice(3)].join('.'))).toBeUndefined();
    const other = createSessions({ secret: 'y'.repeat(32), ttlMs: 60_000, now: () => clock });
    expect(other.verify(token)).toBeUndefined();
    expect(sessions.verify('garbage')).toBeUndefined();
  });

  it('is shared by instances holding the same secret, and revoked by logging out', () => {
    const { token } = sessions.issue('op-alice');
    const twin = createSessions({ secret: 'x'.repeat(32), ttlMs: 60_000, now: () => clock });
    expect(twin.verify(token)?.operatorId).toBe('op-alice');
    sessions.revoke(token);
    expect(sessions.verify(token)).toBeUndefined();
  });
});

describe('credentials of a request', () => {
  it('reads Basic, then Bearer, then the session cookie', () => {
    const basic = `Basic ${Buffer.from('op-alice:pa:ss').toString('base64')}`;
    expect(credentialsOf(basic, 'tok')).toEqual({ scheme: 'basic', username: 'op-alice', password: 'pa:ss' });
    expect(credentialsOf('Bearer abc.def', 'tok')).toEqual({ scheme: 'bearer', token: 'abc.def' });
    expect(credentialsOf(undefined, 'tok')).toEqual({ scheme: 'cookie', token: 'tok' });
    expect(credentialsOf('Digest x', undefined)).toEqual({ scheme: 'none' });
  });
});
