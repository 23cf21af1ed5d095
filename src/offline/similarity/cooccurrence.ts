import type { TrainingData } from './training'

/**
 * Plain co-occurrence, the "item-to-item co-occurrence with no decay" baseline:
 * C(a, c) = the number of users who interacted with both a and c in training.
 * It is exact (no top-k pruning) and computed per query from the item → users lists,
 * which costs O(Σ_c |users(c)|) — a full ranking over the catalogue stays cheap.
 */
export class Cooccurrence {
  private readonly mark: Int32Array
  constructor(private readonly data: TrainingData) {
    this.mark = new Int32Array(data.sequences.length)
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
