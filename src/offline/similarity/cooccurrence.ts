import type { TrainingData } from './training'

/**
 * Plain co-occurrence, the "item-to-item co-occurrence with no decay" baseline:
 * C(a, c) = the number of users who interacted with both a and c in training.
 * It is exact (no top-k pruning) and computed per query from the item → users lists,
 * which costs O(Σ_c |users(c)|) — a full ranking over the catalogue stays cheap.
 */
export class Cooccurrence {
  private readonly mark: Int32Array
  private userItems: Int32Array[] | null = null
  private acc: Float64Array | null = null
  constructor(private readonly data: TrainingData) {
    this.mark = new Int32Array(data.sequences.length)
  }

  /**
   * The same sums as `scores`, walked from the anchors' users instead of from every candidate:
   * C(a, c) = Σ_{u ∈ users(a)} [c ∈ items(u)], so the cost is Σ over the anchors' users of their
   * distinct training items, whatever the number of candidates (a 100,000-item list costs what
   * a 100-item list does, plus reading the answers). Integer counts: the sums are exact.
   */
  sparseScores(anchors: ArrayLike<number>, candidates: ArrayLike<number>): Float64Array {
    const { itemUsers, sequences, items } = this.data
    const userItems = (this.userItems ??= sequences.map((s) => Int32Array.from(new Set(s))))
    const acc = (this.acc ??= new Float64Array(items.length))
    const weight = new Map<number, number>()
    for (let i = 0; i < anchors.length; i++) {
      const a = anchors[i]!
      if (a < 0) continue
      const us = itemUsers[a]!
      for (let k = 0; k < us.length; k++) weight.set(us[k]!, (weight.get(us[k]!) ?? 0) + 1)
    }
    const touched: number[] = []
    for (const [u, w] of weight) {
      const its = userItems[u]!
      for (let k = 0; k < its.length; k++) {
        const c = its[k]!
        if (acc[c] === 0) touched.push(c)
        acc[c]! += w
      }
    }
    const out = new Float64Array(candidates.length)
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!
      if (c >= 0) out[i] = acc[c]!
    }
    for (const c of touched) acc[c] = 0
    return out
  }

  /**
   * Σ_{a ∈ anchors} C(a, c) for every candidate c (item numbers; −1 = unknown item → 0).
   * Repeated anchors count as often as they occur.
   */
  scores(anchors: ArrayLike<number>, candidates: ArrayLike<number>): Float64Array {
    const { itemUsers } = this.data
    const mark = this.mark
    mark.fill(0)
    for (let i = 0; i < anchors.length; i++) {
      const a = anchors[i]!
      if (a < 0) continue
      const us = itemUsers[a]!
      for (let k = 0; k < us.length; k++) mark[us[k]!]!++
    }
    const out = new Float64Array(candidates.length)
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!
      if (c < 0) continue
      const us = itemUsers[c]!
      let s = 0
      for (let k = 0; k < us.length; k++) s += mark[us[k]!]!
      out[i] = s
    }
    return out
  }
}
