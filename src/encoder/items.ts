import type { Item } from '../events/types'
import { ROW_OOV, type EncoderConfig } from './config'
import { itemFeatures } from './tokens'

/** Weights the candidate side needs, as plain arrays (row-major). */
export interface ItemWeights {
  itemEmb: Float32Array
  itemBias: Float32Array
  featEmb: Float32Array
  featBias: Float32Array
}

/** Default number of candidate embeddings kept (≈ 260 B each at d = 64: 5 MB). */
export const DEFAULT_ITEM_CACHE = 20_000

/**
 * Candidate embeddings in plain JavaScript, cached per item.
 *
 * Why not tensors: scoring is one dot product of d = 64 per candidate. Built with tfjs ops it
 * cost 13 ms for 2,000 candidates on WASM (gathers, a weighted feature sum, a transposed
 * matMul and a read-back, every rerank), more than encoding a short history; here a cached
 * candidate costs one map lookup and 64 multiply-adds, and a new one a few row sums. The shop
 * sends mostly the same items rerank after rerank, so the cache hit rate is high.
 *
 * The values are exactly `embedItems` (model.ts): e = item_emb[row] + Σ_s w_s·feat_emb[feat_s],
 * bias = item_bias[row] + Σ_s w_s·feat_bias[feat_s] (a test holds the two together).
 *
 * The cache key is the item's id *and* every field the content features read, so an item whose
 * category, brand, price or title changes gets a fresh embedding. Eviction is first-in first-out
 * beyond `capacity` entries: cheap, and a candidate list that fits is never evicted by itself.
 */
export class ItemTable {
  private readonly cache = new Map<string, Float32Array>()
  private readonly feats: Int32Array
  private readonly featW: Float32Array
  hits = 0
  misses = 0

  constructor(
    private readonly cfg: EncoderConfig,
    private readonly w: ItemWeights,
    private readonly vocab: ReadonlyMap<string, number>,
    private readonly capacity = DEFAULT_ITEM_CACHE,
  ) {
    this.feats = new Int32Array(cfg.featSlots)
    this.featW = new Float32Array(cfg.featSlots)
  }

  get size(): number {
    return this.cache.size
  }

  /** [e_0 … e_{d−1}, bias] of an item (a cached array: do not modify). */
  embedding(item: Item): Float32Array {
    const key = cacheKey(item)
    const hit = this.cache.get(key)
    if (hit) {
      this.hits++
      return hit
    }
    this.misses++
    const v = this.build(item)
    if (this.cache.size >= this.capacity) {
      // FIFO: drop the oldest tenth at once so eviction is not paid per insert.
      let drop = Math.max(1, Math.floor(this.capacity / 10))
      for (const k of this.cache.keys()) {
        this.cache.delete(k)
        if (--drop === 0) break
      }
    }
    this.cache.set(key, v)
    return v
  }

  /** score(c) = u·e(c) + bias(c) for every candidate. */
  score(user: Float32Array, candidates: ReadonlyArray<Item>): Float32Array {
    const d = this.cfg.d
    const out = new Float32Array(candidates.length)
    for (let i = 0; i < candidates.length; i++) {
      const e = this.embedding(candidates[i]!)
      let s = e[d]!
      for (let k = 0; k < d; k++) s += user[k]! * e[k]!
      out[i] = s
    }
    return out
  }

  clear(): void {
    this.cache.clear()
  }

  private build(item: Item): Float32Array {
    itemFeatures(item, this.cfg, this.feats, this.featW, 0)
    return this.embedRow(this.vocab.get(item.id) ?? ROW_OOV, this.feats, this.featW, 0)
  }

  /**
   * [e, bias] of one item-table row with its features (slot `offset` of `feats`/`featW`), not
   * cached: the history side (step.ts) embeds its tokens, which `eventsToTokens` already
   * turned into rows and features, with the same arithmetic as the candidates.
   */
  embedRow(row: number, feats: Int32Array, featW: Float32Array, offset: number): Float32Array {
    const { d, featSlots } = this.cfg
    const { itemEmb, itemBias, featEmb, featBias } = this.w
    const v = new Float32Array(d + 1)
    const base = row * d
    for (let k = 0; k < d; k++) v[k] = itemEmb[base + k]!
    let bias = itemBias[row]!
    const o = offset * featSlots
    for (let s = 0; s < featSlots; s++) {
      const w = featW[o + s]!
      if (w === 0) continue
      const f = feats[o + s]!
      const fb = f * d
      for (let k = 0; k < d; k++) v[k] = v[k]! + w * featEmb[fb + k]!
      bias += w * featBias[f]!
    }
    v[d] = bias
    return v
  }
}

/** Id plus every field the content features read (features.ts `itemFeatureKeys`). */
function cacheKey(item: Item): string {
  const c = item.category
  return `${item.id}\u0001${c ? c.join('\u0002') : ''}\u0001${item.brand ?? ''}\u0001${item.price ?? ''}\u0001${item.title ?? ''}`
}
