/**
 * Seeded pseudo-random numbers, so that every figure in a report can be reproduced.
 *
 * mulberry32 (src/rng.ts) is tiny, fast and good enough for sampling negatives and
 * bootstrap resamples.
 * Streams are keyed by strings (`seed`, user id, purpose) through FNV-1a, so one user's
 * negatives do not change when `--limit-users` evaluates fewer users.
 */
import { fnv1a } from '../../hash'
import { mulberry32, type Rng } from '../../rng'

export { fnv1a }

export { mulberry32, type Rng }

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
