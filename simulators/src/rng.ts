/**
 * Seeded pseudo-random numbers: sfc32 seeded through a string hash (cyrb128), so that every
 * stream is a pure function of (seed, label). Each device draws from its own stream
 * (`fork(deviceId)`), so adding a device to a scenario does not change the others' values.
 * Not for cryptography.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [min, max). */
  uniform(min: number, max: number): number;
  /** Integer in [min, max] (both included). */
  int(min: number, max: number): number;
  /** Standard normal (Box-Muller), times `sd`, plus `mean`. */
  normal(mean?: number, sd?: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** An independent stream derived from this one's seed and `label`. */
  fork(label: string): Rng;
}

/** cyrb128: four 32-bit words from a string; good enough seeding for sfc32. */
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** A stream for `seed` (and an optional label path). */
export function createRng(seed: number | string, label = ''): Rng {
  const key = `${seed}/${label}`;
  const [a, b, c, d] = cyrb128(key);
  const gen = sfc32(a, b, c, d);
  for (let i = 0; i < 12; i++) gen(); // discard the first outputs (sfc32 warm-up)
  let spare: number | undefined;
  const rng: Rng = {
    next: gen,
    uniform: (min, max) => min + (max - min) * gen(),
    int: (min, max) => min + Math.floor((max - min + 1) * gen()),
    normal(mean = 0, sd = 1) {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return mean + sd * s;
      }
      let u = 0;
      while (u === 0) u = gen();
      const v = gen();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return mean + sd * r * Math.cos(2 * Math.PI * v);
    },
    chance: (p) => gen() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor(gen() * items.length)]!;
    },
    fork: (sub) => createRng(seed, label ? `${label}/${sub}` : sub),
  };
  return rng;
}

/**
 * A first-order autoregressive noise process with unit-free standard deviation `sd` and
 * correlation time `tauSec`: smooth drift rather than white noise. Step with the elapsed time.
 */
export interface Drift {
  step(dtSec: number): number;
  readonly value: number;
}

export function createDrift(rng: Rng, sd: number, tauSec: number, initial?: number): Drift {
  let x = initial ?? rng.normal(0, sd);
  return {
    step(dtSec) {
      const phi = Math.exp(-Math.max(0, dtSec) / tauSec);
      x = phi * x + sd * Math.sqrt(1 - phi * phi) * rng.normal();
      return x;
    },
    get value() {
      return x;
    },
  };
}
