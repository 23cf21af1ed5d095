/**
 * Order statistics for benchmark samples. Benchmarks on a shared, noisy machine report medians
 * and the 95th percentile, never means (one descheduled rep would move a mean by its whole
 * length).
 *
 * Percentiles use linear interpolation between closest ranks (Hyndman & Fan type 7, the
 * default of R, NumPy and Excel's PERCENTILE.INC): for sorted x₀…x_{n−1} and q ∈ [0,1],
 *   h = (n − 1)·q,  P(q) = x_⌊h⌋ + (h − ⌊h⌋)·(x_⌈h⌉ − x_⌊h⌋).
 * With n = 1 every percentile is the single sample; with n = 0 they are null (unavailable).
 */
export interface Summary {
  p50: number | null
  p95: number | null
  n: number
  min: number | null
  max: number | null
}

export function percentile(sorted: ReadonlyArray<number>, q: number): number | null {
  const n = sorted.length
  if (n === 0) return null
  if (!(q >= 0 && q <= 1)) throw new RangeError(`percentile: q must be in [0, 1], got ${q}`)
  const h = (n - 1) * q
  const lo = Math.floor(h)
  const hi = Math.ceil(h)
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!)
}

/** p50, p95, n, min and max of the finite samples (non-finite ones are dropped and not counted). */
export function summarize(samples: ReadonlyArray<number>): Summary {
  const s = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  return { p50: percentile(s, 0.5), p95: percentile(s, 0.95), n: s.length, min: s[0] ?? null, max: s[s.length - 1] ?? null }
}

/** a / b when both are finite and b > 0, else null (a ratio that cannot be formed is unavailable, not 0 or ∞). */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return null
  return a / b
}
