import type { Candidate } from './types'

/**
 * Maximal Marginal Relevance (Carbonell & Goldstein, SIGIR 1998):
 *   pick argmax_c  λ·rel(c) − (1 − λ)·max_{s ∈ selected} sim(c, s)
 * with rel = the fused score min-max scaled to [0, 1] inside the window, and sim = Jaccard
 * overlap of category paths (plus 0.5 for the same brand, capped at 1). Only the first
 * `window` items of `order` take part; the rest keep their order after them.
 */
export function mmr(order: number[], score: Float64Array, features: Candidate[], lambda: number, window: number, limit: number): number[] {
  const pool = order.slice(0, window)
  const rest = order.slice(window)
  let lo = Infinity
  let hi = -Infinity
  for (const i of pool) {
    lo = Math.min(lo, score[i] as number)
    hi = Math.max(hi, score[i] as number)
  }
  const span = hi - lo > 1e-12 ? hi - lo : 1
  const sets = new Map<number, Set<string>>()
  for (const i of pool) sets.set(i, new Set(features[i]?.category ?? []))
  const picked: number[] = []
  const maxSim = new Float64Array(features.length)
  const left = new Set(pool)
  const take = Math.min(pool.length, Math.max(limit, 1))
  while (picked.length < take) {
    let best = -1
    let bestVal = -Infinity
    for (const i of pool) {
      if (!left.has(i)) continue
      const v = lambda * (((score[i] as number) - lo) / span) - (1 - lambda) * (maxSim[i] as number)
      if (v > bestVal) {
        bestVal = v
        best = i
      }
    }
    picked.push(best)
    left.delete(best)
    for (const i of left) maxSim[i] = Math.max(maxSim[i] as number, similarity(features[i] as Candidate, features[best] as Candidate, sets.get(i), sets.get(best)))
  }
  for (const i of pool) if (left.has(i)) picked.push(i)
  return picked.concat(rest)
}

function similarity(a: Candidate, b: Candidate, sa = new Set<string>(), sb = new Set<string>()): number {
  let inter = 0
  for (const x of sa) if (sb.has(x)) inter++
  const union = sa.size + sb.size - inter
  let s = union > 0 ? inter / union : 0
  if (a.brand !== undefined && a.brand === b.brand) s += 0.5
  return Math.min(1, s)
}
