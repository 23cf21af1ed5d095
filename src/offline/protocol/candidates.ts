import { randInt, rngFor, shuffle, type Rng } from './prng'
import type { Split, UserSplit } from './split'

/**
 * The three candidate sets of the protocol (../shared/datasets/README.md):
 * - `uniform`: the held-out item plus 100 negatives drawn uniformly, without replacement,
 *   from the items the user never interacted with (SASRec);
 * - `popularity`: 100 negatives drawn without replacement with probability ∝ interaction
 *   count over the whole log, from the same pool — harder, and closer to a real server's
 *   list (Krichene & Rendle 2020, "On Sampled Metrics for Item Recommendation");
 * - `full`: every item of the universe the user never interacted with, plus the held-out item.
 */
export type ProtocolName = 'uniform' | 'popularity' | 'full'
export const PROTOCOLS: readonly ProtocolName[] = ['uniform', 'popularity', 'full']
export type Phase = 'val' | 'test'

export const DEFAULT_NEGATIVES = 100

/**
 * Uniform negatives by rejection: cheap because a user has touched few of the items.
 * Falls back to a shuffled scan of the pool when rejection would stall (heavy users).
 */
export function sampleUniform(universe: ReadonlyArray<string>, exclude: ReadonlySet<string>, n: number, rng: Rng): string[] {
  const out: string[] = []
  const taken = new Set<string>()
  // The universe is built from every interaction, so it holds all of `exclude`.
  const available = Math.max(0, universe.length - exclude.size)
  const want = Math.min(n, available)
  let attempts = 0
  const maxAttempts = 20 * (want + 1)
  while (out.length < want && attempts < maxAttempts) {
    attempts++
    const id = universe[randInt(rng, universe.length)]!
    if (exclude.has(id) || taken.has(id)) continue
    taken.add(id)
    out.push(id)
  }
  if (out.length < want) {
    const rest = shuffle(
      universe.filter((id) => !exclude.has(id) && !taken.has(id)),
      rng,
    )
    for (const id of rest) {
      if (out.length >= want) break
      out.push(id)
    }
  }
  return out
}

/**
 * Weighted sampling without replacement by Efraimidis & Spirakis (2006) keys:
 * key = ln(u)/w, keep the n largest. Exact, and needs no rejection loop however much
 * of the popular mass the user has already consumed. Items with weight 0 are never drawn.
 */
export function samplePopularity(universe: ReadonlyArray<string>, weight: ReadonlyMap<string, number>, exclude: ReadonlySet<string>, n: number, rng: Rng): string[] {
  const keys: Array<[number, string]> = []
  for (const id of universe) {
    const w = weight.get(id) ?? 0
    const u = rng() // drawn for every item so the stream does not depend on `exclude`'s order
    if (w <= 0 || exclude.has(id)) continue
    keys.push([Math.log(u || Number.MIN_VALUE) / w, id])
  }
  keys.sort((a, b) => b[0] - a[0])
  return keys.slice(0, n).map((k) => k[1])
}

// Samplers that scale to 100,000+ items (one list costs O(n log N), not O(N)).

export interface SplitIndex {
  /** Cumulative allPopularity over the universe order (for weighted draws). */
  cum: Float64Array
  total: number
  /** Category key (levels joined by " > ") → universe items under it, in universe order. */
  byCategory: Map<string, string[]>
  /** Item → its category keys, broad to narrow. */
  keysOf: Map<string, string[]>
}

const indexes = new WeakMap<Split, SplitIndex>()

/** Per-split lookups built once (WeakMap-cached): cumulative popularity, category → items. */
export function splitIndex(split: Split): SplitIndex {
  let ix = indexes.get(split)
  if (ix) return ix
  const n = split.universe.length
  const cum = new Float64Array(n)
  let total = 0
  const byCategory = new Map<string, string[]>()
  const keysOf = new Map<string, string[]>()
  for (let i = 0; i < n; i++) {
    const id = split.universe[i]!
    total += split.allPopularity.get(id) ?? 0
    cum[i] = total
    const path = split.categories?.get(id)
    if (path && path.length > 0) {
      const keys: string[] = []
      let key = ''
      for (const seg of path) {
        key = key ? `${key} > ${seg}` : seg
        keys.push(key)
        let l = byCategory.get(key)
        if (!l) byCategory.set(key, (l = []))
        l.push(id)
      }
      keysOf.set(id, keys)
    }
  }
  ix = { cum, total, byCategory, keysOf }
  indexes.set(split, ix)
  return ix
}

/**
 * `n` items drawn without replacement with probability ∝ `allPopularity`, never from
 * `exclude`: successive weighted draws (binary search on the cumulative weights), rejecting
 * excluded and already-drawn items. That is the same distribution as Efraimidis–Spirakis keys
 * (`samplePopularity`), at O(n log N) per list instead of O(N). When rejection stalls (a user
 * who consumed most of the popular mass), it finishes with the exact key scan over the rest.
 */
export function samplePopularityFast(split: Split, exclude: ReadonlySet<string>, n: number, rng: Rng): string[] {
  const ix = splitIndex(split)
  const out: string[] = []
  const taken = new Set<string>()
  if (ix.total <= 0 || n <= 0) return out
  let attempts = 0
  const maxAttempts = 20 * (n + 1)
  while (out.length < n && attempts < maxAttempts) {
    attempts++
    const x = rng() * ix.total
    let lo = 0
    let hi = ix.cum.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (ix.cum[mid]! > x) hi = mid
      else lo = mid + 1
    }
    const id = split.universe[lo]!
    if (exclude.has(id) || taken.has(id)) continue
    taken.add(id)
    out.push(id)
  }
  if (out.length < n) {
    const keys: Array<[number, string]> = []
    for (const id of split.universe) {
      const w = split.allPopularity.get(id) ?? 0
      if (w <= 0 || exclude.has(id) || taken.has(id)) continue
      keys.push([Math.log(rng() || Number.MIN_VALUE) / w, id])
    }
    keys.sort((a, b) => b[0] - a[0])
    for (const [, id] of keys) {
      if (out.length >= n) break
      out.push(id)
    }
  }
  return out
}

/**
 * The candidate ids for one user at one phase: the held-out item and its negatives,
 * shuffled (seeded) so the held-out item's position carries no information; the
 * evaluator then orders them as the server would (see eval).
 */
export function candidatesFor(split: Split, u: UserSplit, phase: Phase, protocol: ProtocolName, seed: number, negatives = DEFAULT_NEGATIVES): { target: string; ids: string[] } | null {
  const held = phase === 'val' ? u.val : u.test
  if (!held) return null
  const rng = rngFor(seed, protocol, phase, u.user)
  let neg: string[]
  if (protocol === 'uniform') neg = sampleUniform(split.universe, u.interacted, negatives, rng)
  // The successive-draw sampler: the same distribution as the key scan (samplePopularity), at
  // O(n log N) a list — the key scan drew one number per universe item for every user, which
  // did not finish in 400 s on 84,793 products (issue 11).
  else if (protocol === 'popularity') neg = samplePopularityFast(split, u.interacted, negatives, rng)
  else neg = split.universe.filter((id) => !u.interacted.has(id))
  const ids = shuffle([held.itemId, ...neg], rng)
  return { target: held.itemId, ids }
}
