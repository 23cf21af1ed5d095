import type { Item } from '../events/types'
import { ROW_OOV, ROW_SEARCH, type EncoderConfig } from './config'
import { itemFeatures, type Tokens } from './tokens'
import { parseVector } from './vector-codec'

/** Weights the candidate side needs, as plain arrays (row-major). */
export interface ItemWeights {
  itemEmb: Float32Array
  itemBias: Float32Array
  featEmb: Float32Array
  featBias: Float32Array
}

/** Where an embedding came from, in the order they are tried. */
export interface EmbeddingSources {
  /** A decodable `vector` of this model (feed mode). */
  vector: number
  /** The item's row of the artifact's vocabulary (whole-table or top-N), plus its content. */
  row: number
  /** Neither: the out-of-vocabulary row plus the content features. */
  content: number
  /** Vectors present but refused (another model, wrong length, not base64url); also counted above. */
  rejected: number
}

/** Default number of candidate embeddings kept (≈ 260 B each at d = 64: 5 MB). */
export const DEFAULT_ITEM_CACHE = 20_000

/** The highest item row + 1 a page may name (`putRow`): a bound on the worker's row matrix, 1M rows. */
export const MAX_ROWS = 1 << 20

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
 * Three sources, tried in order (issue 10: the browser's artifact does not grow with the catalogue):
 * 1. the item's `vector`, when it decodes for this model (`modelId`, d + 1 values): e and bias as
 *    the exporter computed them with this very arithmetic (src/offline/feed), so feed mode and
 *    whole-table mode give the same score;
 * 2. else its vocabulary row, when the artifact kept it (whole table, or the top-N popular items
 *    of a user-side artifact), plus its content;
 * 3. else the out-of-vocabulary row plus its content, so a product added this morning scores.
 * A vector of another model (a retrained export) is not an error: the item falls through to 2/3
 * and `sources.rejected` counts it, with the last reason in `lastRejection`.
 *
 * The cache key is the item's id, every field the content features read *and* the vector, so an
 * item whose category, brand, price, title or vector changes gets a fresh embedding. Eviction is
 * first-in first-out beyond `capacity` entries: cheap, and a candidate list that fits is never
 * evicted by itself.
 */
export class ItemTable {
  private readonly cache = new Map<string, Float32Array>()
  private rowData = new Float32Array(0)
  private rowOk = new Uint8Array(0)
  private readonly feats: Int32Array
  private readonly featW: Float32Array
  hits = 0
  misses = 0
  readonly sources: EmbeddingSources = { vector: 0, row: 0, content: 0, rejected: 0 }
  lastRejection: string | null = null

  /**
   * @param modelId the 8-hex id of this model's item space (`itemSpace` in model.json); null
   *   for an artifact without one, which then uses no carried vector at all.
   */
  constructor(
    private readonly cfg: EncoderConfig,
    private readonly w: ItemWeights,
    private readonly vocab: ReadonlyMap<string, number>,
    private readonly capacity = DEFAULT_ITEM_CACHE,
    readonly modelId: string | null = null,
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
    this.rowData = new Float32Array(0)
    this.rowOk = new Uint8Array(0)
  }

  /**
   * Candidate rows (issue 14): the page numbers the items it has sent (client.ts `ItemRows`),
   * and each rerank names its candidates by row, so scoring reads one Float32Array row per
   * candidate instead of building a string key and looking it up in a Map. `putRow` stores
   * [e, bias] of an item at its row, exactly as `embedding` computes it (no string cache);
   * a row is overwritten only when the page reuses it, after its list of rows was cleared.
   * A row whose item failed to embed is marked unusable, so a later list naming it fails
   * loudly (the page then resends everything) instead of scoring with another item's vector.
   */
  putRow(row: number, item: Item): void {
    if (!Number.isInteger(row) || row < 0 || row >= MAX_ROWS) throw new RangeError(`item row ${row} is outside 0..${MAX_ROWS - 1}`)
    const w = this.cfg.d + 1
    if (row >= this.rowOk.length) {
      const cap = Math.min(MAX_ROWS, Math.max(row + 1, this.rowOk.length * 2, 256))
      const data = new Float32Array(cap * w)
      data.set(this.rowData)
      const ok = new Uint8Array(cap)
      ok.set(this.rowOk)
      this.rowData = data
      this.rowOk = ok
    }
    this.rowOk[row] = 0
    const v = this.build(item)
    this.rowData.set(v, row * w)
    this.rowOk[row] = 1
  }

  /** score(c) = u·e(c) + bias(c) for the items stored at `rows` (`putRow`), in the order given. */
  scoreRows(user: Float32Array, rows: Int32Array): Float32Array {
    const d = this.cfg.d
    const w = d + 1
    const data = this.rowData
    const ok = this.rowOk
    const n = rows.length
    const out = new Float32Array(n)
    for (let i = 0; i < n; i++) {
      const r = rows[i]!
      if (!(ok[r] === 1)) throw new RangeError(`item row ${r} holds no item`)
      const o = r * w
      // The same arithmetic, in the same order, as `score`: bias first, then u·e in doubles.
      let s = data[o + d]!
      for (let k = 0; k < d; k++) s += user[k]! * data[o + k]!
      out[i] = s
    }
    return out
  }

  private build(item: Item): Float32Array {
    const carried = this.carried(item.vector)
    if (carried) return carried
    const row = this.vocab.get(item.id)
    itemFeatures(item, this.cfg, this.feats, this.featW, 0)
    return this.embedRow(row ?? ROW_OOV, this.feats, this.featW, 0, row === undefined ? 'content' : 'row')
  }

  /** The decoded vector when `vector` is one of this model's, else null (counted as rejected). */
  private carried(vector: string | undefined | null): Float32Array | null {
    if (vector === undefined || vector === null) return null
    if (this.modelId === null) {
      this.sources.rejected++
      this.lastRejection = 'this model.json has no itemSpace, so no carried vector can be checked against it: re-export it with npm run feed'
      return null
    }
    const r = parseVector(vector, this.modelId, this.cfg.d + 1)
    if (r.ok) {
      this.sources.vector++
      return r.values
    }
    this.sources.rejected++
    this.lastRejection = r.reason
    return null
  }

  /**
   * [e, bias] of history token `i` (not cached): its carried vector when it decodes for this
   * model, else its row and features as `eventsToTokens` wrote them. The full encode (session.ts,
   * tensors) and the JS step (step.ts) both embed tokens here, so a history item that carries a
   * vector enters the Transformer and the long-term mean with exactly the embedding it scores
   * with as a candidate.
   */
  tokenEmbedding(tok: Tokens, i: number): Float32Array {
    const carried = this.carried(tok.vectors[i])
    if (carried) return carried
    const row = tok.rows[i]!
    // A search token is its query's words: neither an item row nor an item's content.
    return this.embedRow(row, tok.feats, tok.featW, i, row === ROW_SEARCH ? undefined : row === ROW_OOV ? 'content' : 'row')
  }

  /**
   * [e, bias] of one item-table row with its features (slot `offset` of `feats`/`featW`), not
   * cached: the history side (step.ts) embeds its tokens, which `eventsToTokens` already
   * turned into rows and features, with the same arithmetic as the candidates.
   */
  embedRow(row: number, feats: Int32Array, featW: Float32Array, offset: number, source?: 'row' | 'content'): Float32Array {
    if (source) this.sources[source]++
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

/** Id, every field the content features read (features.ts `itemFeatureKeys`) and the vector. */
function cacheKey(item: Item): string {
  const c = item.category
  const t = item.tags
  return `${item.id}\u0001${c ? c.join('\u0002') : ''}\u0001${t ? t.join('\u0002') : ''}\u0001${item.brand ?? ''}\u0001${item.price ?? ''}\u0001${item.title ?? ''}\u0001${item.vector ?? ''}`
}
