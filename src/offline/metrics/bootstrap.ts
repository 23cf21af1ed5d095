import { mulberry32, randInt } from '../protocol/prng'

/**
 * Percentile bootstrap over users (Efron & Tibshirani 1993): resample the evaluated users
 * with replacement B times, recompute the figure, and take the 2.5th and 97.5th
 * percentiles as the 95% interval. The same resamples (one seed) are used for every model
 * and metric, so intervals of a difference between two models are paired.
 */
export interface Interval {
  mean: number
  lo: number
  hi: number
}

export const DEFAULT_BOOTSTRAP = 1000

/**
 * Above this many stored indices (n · B), a Bootstrap keeps none (issue 11: 1,000 resamples of
 * 62,544 users are 250 MB per user subset, and 3·10¹⁰ additions for the 49 cells × 9 metrics of
 * a shop-scale run; at 20M the 15,000-user subsets of the 1M-event log still took 182 s). It then gives normal-approximation intervals for means and paired
 * differences, mean ± 1.96·s/√n — what the percentile bootstrap of a mean converges to at
 * that n — and draws `LARGE_STAT_RESAMPLES` resamples on the fly for other statistics
 * (coverage). Every dataset in ../shared/datasets (at most 2,048 users × 1,000) stays below it, so their figures are the
 * percentile bootstrap's.
 */
export const MAX_STORED_INDICES = 4_000_000
export const LARGE_STAT_RESAMPLES = 20

export class Bootstrap {
  /** B rows of n user indices (empty when `large`). */
  readonly samples: Int32Array[]
  /** n · B over MAX_STORED_INDICES: normal-approximation intervals (see MAX_STORED_INDICES). */
  readonly large: boolean
  private readonly sized = new Map<number, Bootstrap>()
  constructor(
    readonly n: number,
    readonly b: number = DEFAULT_BOOTSTRAP,
    readonly seed = 0,
  ) {
    this.samples = []
    this.large = n * b > MAX_STORED_INDICES
    if (this.large) return
    const rng = mulberry32(seed ^ 0x5bd1e995)
    for (let r = 0; r < b; r++) {
      const s = new Int32Array(n)
      for (let i = 0; i < n; i++) s[i] = randInt(rng, n)
      this.samples.push(s)
    }
  }

  /**
   * The same bootstrap (B, seed) over `n` users: a subset of the users (a shop protocol's
   * targets) gets its own resamples, shared by every model evaluated on that subset, so
   * differences between models stay paired. Cached.
   */
  resized(n: number): Bootstrap {
    if (n === this.n) return this
    let s = this.sized.get(n)
    if (!s) this.sized.set(n, (s = new Bootstrap(n, this.b, this.seed)))
    return s
  }

  /** Mean of per-user values with its percentile interval. */
  mean(values: ArrayLike<number>): Interval {
    this.check(values.length)
    if (this.large) return normalInterval(values)
    return this.stat(mean(values), (s) => {
      let t = 0
      for (let i = 0; i < s.length; i++) t += values[s[i]!]!
      return s.length > 0 ? t / s.length : 0
    })
  }

  /** Mean difference a − b of paired per-user values (same users), with its interval. */
  diff(a: ArrayLike<number>, b: ArrayLike<number>): Interval {
    this.check(a.length)
    this.check(b.length)
    const d = new Float64Array(a.length)
    for (let i = 0; i < a.length; i++) d[i] = a[i]! - b[i]!
    return this.mean(d)
  }

  /**
   * Any statistic of a user subset (coverage is a union, not a mean). With `recentre`, the
   * interval is shifted by (point − mean of the resampled values): for statistics that a
   * resample biases — a resample holds only ~63% distinct users, so a union shrinks — this
   * keeps the bootstrap's spread but not its bias (an approximate, bias-corrected interval).
   */
  stat(point: number, f: (users: Int32Array) => number, recentre = false): Interval {
    const b = this.large ? LARGE_STAT_RESAMPLES : this.b
    const vals = new Float64Array(b)
    if (this.large) {
      const rng = mulberry32(this.seed ^ 0x5bd1e995)
      const s = new Int32Array(this.n)
      for (let r = 0; r < b; r++) {
        for (let i = 0; i < this.n; i++) s[i] = randInt(rng, this.n)
        vals[r] = f(s)
      }
    } else for (let r = 0; r < b; r++) vals[r] = f(this.samples[r]!)
    vals.sort()
    const shift = recentre ? point - mean(vals) : 0
    return { mean: point, lo: quantile(vals, 0.025) + shift, hi: quantile(vals, 0.975) + shift }
  }

  private check(len: number): void {
    if (len !== this.n) throw new RangeError(`bootstrap built for ${this.n} users, got ${len} values`)
  }
}

/** mean ± 1.96 · s / √n (s: the sample standard deviation). */
export function normalInterval(values: ArrayLike<number>): Interval {
  const n = values.length
  const m = mean(values)
  if (n < 2) return { mean: m, lo: m, hi: m }
  let ss = 0
  for (let i = 0; i < n; i++) ss += (values[i]! - m) ** 2
  const half = 1.96 * Math.sqrt(ss / (n - 1) / n)
  return { mean: m, lo: m - half, hi: m + half }
}

export function mean(values: ArrayLike<number>): number {
  let t = 0
  for (let i = 0; i < values.length; i++) t += values[i]!
  return values.length > 0 ? t / values.length : 0
}

/** Linear-interpolated quantile of sorted values (type 7, as R and NumPy default). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length
  if (n === 0) return NaN
  const h = (n - 1) * q
  const lo = Math.floor(h)
  const hi = Math.min(n - 1, lo + 1)
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!)
}

/**
 * Coverage over a resample of users: distinct items in their top-K lists / catalogue size.
 * `lists[u]` holds item indices in [0, catalogueSize). The interval is recentred (see
 * `Bootstrap.stat`) because a resample with repeated users covers fewer items.
 */
export function coverageInterval(boot: Bootstrap, lists: ReadonlyArray<Int32Array>, catalogueSize: number): Interval {
  const stamp = new Int32Array(catalogueSize).fill(-1)
  let tick = 0
  const cov = (users: ArrayLike<number>): number => {
    tick++
    let distinct = 0
    for (let i = 0; i < users.length; i++) {
      const l = lists[users[i]!]!
      for (let j = 0; j < l.length; j++) {
        const it = l[j]!
        if (stamp[it] !== tick) {
          stamp[it] = tick
          distinct++
        }
      }
    }
    return catalogueSize > 0 ? distinct / catalogueSize : 0
  }
  const all = new Int32Array(lists.length)
  for (let i = 0; i < all.length; i++) all[i] = i
  return boot.stat(cov(all), cov, true)
}
