/**
 * Seeded pseudo-random numbers, so that every figure in a report can be reproduced.
 *
 * mulberry32 (Tommy Ettinger's 32-bit generator, public domain): tiny, fast and good
 * enough for sampling negatives and bootstrap resamples; not for cryptography.
 * Streams are keyed by strings (`seed`, user id, purpose) through FNV-1a, so one user's
 * negatives do not change when `--limit-users` evaluates fewer users.
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

/** 32-bit FNV-1a of a string. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** An independent stream for (seed, ...keys). */
export function rngFor(seed: number, ...keys: Array<string | number>): Rng {
  return mulberry32(fnv1a(`${seed}\u0000${keys.join('\u0000')}`))
}

/** Integer in [0, n). */
export function randInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n)
}

/** In-place Fisher–Yates shuffle. */
export function shuffle<T>(a: T[], rng: Rng): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randInt(rng, i + 1)
    const t = a[i]!
    a[i] = a[j]!
    a[j] = t
  }
  return a
}
