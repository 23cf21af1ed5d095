/**
 * Seeded PRNG shared by the encoder's weight init, the offline protocol's negative sampling
 * and bootstraps, and the property tests: mulberry32 (Tommy Ettinger 2017, public domain).
 * 32-bit state, passes PractRand to 2^32, identical on every JS engine, so anything drawn
 * from a seed repeats exactly. Not for cryptography.
 */
export type Rng = () => number

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Standard normal by Box–Muller from a uniform source. */
export function gaussian(rand: Rng): number {
  const u = Math.max(rand(), 1e-12)
  const v = rand()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}
