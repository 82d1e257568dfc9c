import { timingSafeEqual } from 'node:crypto';
import { Piscina } from 'piscina';
import { GanzhiError } from '@ganzhi/schemas';

/** Checks secrets against stored scrypt hashes. */
export interface SecretVerifier {
  verify(secret: string | Buffer, stored: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface VerifierOptions {
  /** Checks waiting for the worker beyond this are refused (GANZHI_ERR_REG_BUSY) rather than queued. */
  maxQueue?: number;
}

export interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

export function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0)) return undefined;
  return { N, r, p, salt: Buffer.from(parts[4] ?? '', 'base64'), hash: Buffer.from(parts[5] ?? '', 'base64') };
}

/**
 * scrypt on a thread of its own, never on libuv's thread pool: the pool is where the bus's file
 * writes run, and a flood of wrong passwords must not queue in front of them. One thread, so a
 * flood costs at most one core; a bounded queue, so it cannot hold memory either.
 */
export function createSecretVerifier(options: VerifierOptions = {}): SecretVerifier {
  const pool = new Piscina({
    filename: new URL('./scrypt-worker.mjs', import.meta.url).href,
    minThreads: 0,
    maxThreads: 1,
    maxQueue: options.maxQueue ?? 64,
    idleTimeout: 10_000,
  });
  return {
    async verify(secret, stored) {
      const h = parseHash(stored);
      if (!h) return false;
      let key: Uint8Array;
      try {
        key = await pool.run({ secret: typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret, salt: h.salt, keylen: h.hash.length, N: h.N, r: h.r, p: h.p });
      } catch (err) {
        throw new GanzhiError('GANZHI_ERR_REG_BUSY', `secret check refused: ${(err as Error).message}`, { cause: err });
      }
      const derived = Buffer.from(key);
      return derived.length === h.hash.length && timingSafeEqual(derived, h.hash);
    },
    close: () => pool.destroy(),
  };
}
