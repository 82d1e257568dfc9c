import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The broker side of SASL for the test proxy: PLAIN (RFC 4616) and SCRAM-SHA-256/512 (RFC 5802,
 * RFC 7677), as a Kafka broker runs them inside SaslAuthenticate requests. One instance per
 * connection; `step` takes the client's auth bytes and says what to answer.
 */
export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SASL_MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

export type SaslStep = { readonly kind: 'continue' | 'done'; readonly reply: Buffer } | { readonly kind: 'failed'; readonly reason: string };

const ITERATIONS = 4096;

export class SaslServer {
  readonly #mechanism: SaslMechanism;
  readonly #users: ReadonlyMap<string, string>;
  #scram: { user: string; password: string; clientFirstBare: string; serverFirst: string; nonce: string; salt: Buffer } | undefined;
  #user: string | undefined;

  constructor(mechanism: SaslMechanism, users: ReadonlyMap<string, string>) {
    this.#mechanism = mechanism;
    this.#users = users;
  }

  /** The authenticated user, once `step` said done. */
  get user(): string | undefined {
    return this.#user;
  }

  step(auth: Buffer): SaslStep {
    if (this.#mechanism === 'PLAIN') return this.#plain(auth);
    return this.#scram === undefined ? this.#scramFirst(auth.toString('utf8')) : this.#scramFinal(auth.toString('utf8'));
  }

  #plain(auth: Buffer): SaslStep {
    const [, user = '', password = ''] = auth.toString('utf8').split('\0');
    const expected = this.#users.get(user);
    if (expected === undefined || !same(expected, password)) return { kind: 'failed', reason: `Authentication failed: Invalid username or password` };
    this.#user = user;
    return { kind: 'done', reply: Buffer.alloc(0) };
  }

  #scramFirst(msg: string): SaslStep {
    // gs2-header "n,," (no channel binding, no authzid), then "n=<user>,r=<nonce>"
    if (!msg.startsWith('n,,')) return { kind: 'failed', reason: 'SCRAM: unsupported GS2 header' };
    const clientFirstBare = msg.slice(3);
    const attrs = attributes(clientFirstBare);
    const user = (attrs.get('n') ?? '').replace(/=2C/g, ',').replace(/=3D/g, '=');
    const cnonce = attrs.get('r');
    const password = this.#users.get(user);
    if (!cnonce || password === undefined) return { kind: 'failed', reason: 'Authentication failed during authentication due to invalid credentials with SASL mechanism ' + this.#mechanism };
    const salt = randomBytes(16);
    const nonce = cnonce + randomBytes(18).toString('base64');
    const serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${ITERATIONS}`;
    this.#scram = { user, password, clientFirstBare, serverFirst, nonce, salt };
    return { kind: 'continue', reply: Buffer.from(serverFirst) };
  }

  #scramFinal(msg: string): SaslStep {
    const s = this.#scram!;
    const attrs = attributes(msg);
    const proof = attrs.get('p');
    if (attrs.get('r') !== s.nonce || !proof) return { kind: 'failed', reason: 'SCRAM: nonce mismatch' };
    const withoutProof = msg.slice(0, msg.lastIndexOf(',p='));
    const hash = this.#mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
    const keyLength = hash === 'sha256' ? 32 : 64;
    const salted = pbkdf2Sync(s.password.normalize('NFKC'), s.salt, ITERATIONS, keyLength, hash);
    const clientKey = createHmac(hash, salted).update('Client Key').digest();
    const storedKey = createHash(hash).update(clientKey).digest();
    const authMessage = `${s.clientFirstBare},${s.serverFirst},${withoutProof}`;
    const clientSignature = createHmac(hash, storedKey).update(authMessage).digest();
    const given = Buffer.from(proof, 'base64');
    if (given.length !== clientSignature.length) return { kind: 'failed', reason: 'Authentication failed during authentication due to invalid credentials with SASL mechanism ' + this.#mechanism };
    const recovered = Buffer.from(given.map((b, i) => b ^ clientSignature[i]!));
    if (!timingSafeEqual(createHash(hash).update(recovered).digest(), storedKey)) {
      return { kind: 'failed', reason: 'Authentication failed during authentication due to invalid credentials with SASL mechanism ' + this.#mechanism };
    }
    const serverKey = createHmac(hash, salted).update('Server Key').digest();
    this.#user = s.user;
    return { kind: 'done', reply: Buffer.from(`v=${createHmac(hash, serverKey).update(authMessage).digest('base64')}`) };
  }
}

function attributes(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of msg.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
