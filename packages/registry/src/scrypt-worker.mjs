// The worker thread that checks secrets (see verifier.ts). Plain JavaScript so that it loads the
// same way under tsx, under node on the build output, and in any worker pool.
import { scryptSync } from 'node:crypto';

/** @param {{ secret: Uint8Array, salt: Uint8Array, keylen: number, N: number, r: number, p: number }} task */
export default function derive({ secret, salt, keylen, N, r, p }) {
  return scryptSync(secret, salt, keylen, { N, r, p, maxmem: 256 * N * r });
}
