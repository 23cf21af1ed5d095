/**
 * Where the held-out item lands among the candidates, and the ranking metrics.
 *
 * **Ties.** Scores can tie (popularity counts, a profile that knows nothing about two
 * items). Breaking ties in the held-out item's favour ("optimistic", e.g. an argsort that
 * happens to put it first) inflates every metric, most of all for weak models. We never do
 * that. Two modes:
 * - `expected` (default): the metric's expectation when the tied block is ordered uniformly
 *   at random — the held-out item is equally likely at each position of its tied block;
 * - `pessimistic`: it is placed last among its ties.
 * For a model without ties both modes give the same figure.
 */
export type TieMode = 'expected' | 'pessimistic'

/** `greater`: candidates scored strictly higher; `ties`: others scored equal (target excluded). */
export interface RankInfo {
  greater: number
  ties: number
}

/** Rank information for `scores[target]`. NaN scores are a scorer bug and throw. */
export function rankInfo(scores: ArrayLike<number>, target: number): RankInfo {
  const t = scores[target]
  if (t === undefined || Number.isNaN(t)) throw new RangeError(`target score at ${target} is ${String(t)}`)
  let greater = 0
  let ties = 0
  for (let i = 0; i < scores.length; i++) {
    if (i === target) continue
    const s = scores[i]!
    if (s > t) greater++
    else if (s === t) ties++
    else if (Number.isNaN(s)) throw new RangeError(`score at ${i} is NaN`)
  }
  return { greater, ties }
}

/** Average of f(p) over the positions p (0-based) the target may take, per the tie mode. */
function over(r: RankInfo, mode: TieMode, f: (p: number) => number, lastUseful = Infinity): number {
  if (mode === 'pessimistic') return f(r.greater + r.ties)
  const hi = Math.min(r.greater + r.ties, lastUseful)
  let s = 0
  for (let p = r.greater; p <= hi; p++) s += f(p)
  return s / (r.ties + 1)
}

/** HR@K: 1 when the held-out item is in the top K (0-based position < K). */
export function hitAt(r: RankInfo, k: number, mode: TieMode = 'expected'): number {
  if (mode === 'pessimistic') return r.greater + r.ties < k ? 1 : 0
  // Positions greater…greater+ties, of which those < k are hits.
  return Math.max(0, Math.min(k, r.greater + r.ties + 1) - r.greater) / (r.ties + 1)
}

/**
 * NDCG@K with one relevant item: 1/log2(p + 2) when its 0-based position p < K, else 0
 * (the ideal DCG is 1, so no normalisation is needed).
 */
export function ndcgAt(r: RankInfo, k: number, mode: TieMode = 'expected'): number {
  return over(r, mode, (p) => (p < k ? 1 / Math.log2(p + 2) : 0), k - 1)
}

/** Reciprocal rank 1/(p + 1), no cut-off. */
export function reciprocalRank(r: RankInfo, mode: TieMode = 'expected'): number {
  return over(r, mode, (p) => 1 / (p + 1))
}

/**
 * Indices of the top `k` scores, best first. Ties keep list order (the server's order in
 * the evaluator), as a stable reranker would show them.
 */
export function topK(scores: ArrayLike<number>, k: number): number[] {
  if (scores.length > 4 * k) {
    // Partial selection: keep a sorted buffer of the best k (k is small).
    const best: number[] = []
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i]!
      if (best.length === k && s <= scores[best[k - 1]!]!) continue
      let j = best.length
      while (j > 0 && scores[best[j - 1]!]! < s) j--
      best.splice(j, 0, i)
      if (best.length > k) best.pop()
    }
    return best
  }
  const idx: number[] = []
  for (let i = 0; i < scores.length; i++) idx.push(i)
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b)
  return idx.slice(0, k)
}

/**
 * Intra-list diversity (Ziegler et al. 2005, "Improving recommendation lists through topic
 * diversification"): mean over pairs of (1 − Jaccard) of their category labels.
 * Two unlabelled items count as identical (distance 0), one unlabelled item as distance 1.
 * Lists with fewer than two items have diversity 0.
 */
export function intraListDiversity(labels: ReadonlyArray<ReadonlyArray<string>>): number {
  const n = labels.length
  if (n < 2) return 0
  const sets = labels.map((l) => new Set(l))
  let sum = 0
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = sets[i]!
      const b = sets[j]!
      if (a.size === 0 && b.size === 0) continue
      let inter = 0
      for (const x of a) if (b.has(x)) inter++
      sum += 1 - inter / (a.size + b.size - inter)
    }
  }
  return sum / ((n * (n - 1)) / 2)
}

/** Catalogue coverage: distinct items recommended in any list, over the catalogue size. */
export function coverage(lists: ReadonlyArray<ReadonlyArray<string>>, catalogueSize: number): number {
  const seen = new Set<string>()
  for (const l of lists) for (const id of l) seen.add(id)
  return catalogueSize > 0 ? seen.size / catalogueSize : 0
}
