import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SaslServer } from './sasl-server';

const users = new Map([['ganzhi', 'correct horse']]);

/** The client side of SCRAM (RFC 5802), written from the RFC, to check the server against. */
function scramClient(hash: 'sha256' | 'sha512', user: string, password: string) {
  const cnonce = randomBytes(12).toString('base64');
  const first = `n=${user},r=${cnonce}`;
  let salted: Buffer;
  let authMessage = '';
  return {
    first: Buffer.from(`n,,${first}`),
    final(serverFirst: string): Buffer {
      const a = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
      salted = pbkdf2Sync(password, Buffer.from(a.s!, 'base64'), Number(a.i), hash === 'sha256' ? 32 : 64, hash);
      const withoutProof = `c=biws,r=${a.r}`;
      authMessage = `${first},${serverFirst},${withoutProof}`;
      const clientKey = createHmac(hash, salted).update('Client Key').digest();
      const signature = createHmac(hash, createHash(hash).update(clientKey).digest()).update(authMessage).digest();
      return Buffer.from(`${withoutProof},p=${Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64')}`);
    },
    serverSignature(): string {
      return createHmac(hash, createHmac(hash, salted).update('Server Key').digest()).update(authMessage).digest('base64');
    },
  };
}

describe('SaslServer', () => {
  it.each([['SCRAM-SHA-256', 'sha256'] as const, ['SCRAM-SHA-512', 'sha512'] as const])('completes %s with the right password and proves itself to the client', (mechanism, hash) => {
    const server = new SaslServer(mechanism, users);
    const client = scramClient(hash, 'ganzhi', 'correct horse');
    const first = server.step(client.first);
    expect(first.kind).toBe('continue');
    const last = server.step(client.final((first as { reply: Buffer }).reply.toString()));
    expect(last).toEqual({ kind: 'done', reply: Buffer.from(`v=${client.serverSignature()}`) });
    expect(server.user).toBe('ganzhi');
  });

  it('fails SCRAM with a wrong password, and an unknown user at once', () => {
    const server = new SaslServer('SCRAM-SHA-512', users);
    const client = scramClient('sha512', 'ganzhi', 'battery staple');
    const first = server.step(client.first) as { reply: Buffer };
    expect(server.step(client.final(first.reply.toString())).kind).toBe('failed');
    expect(new SaslServer('SCRAM-SHA-256', users).step(scramClient('sha256', 'mallory', 'x').first).kind).toBe('failed');
  });

  it('checks PLAIN credentials', () => {
    expect(new SaslServer('PLAIN', users).step(Buffer.from('\0ganzhi\0correct horse')).kind).toBe('done');
    expect(new SaslServer('PLAIN', users).step(Buffer.from('\0ganzhi\0wrong')).kind).toBe('failed');
  });
});
