/**
 * Full ranking at shop scale (issue 11): every list of the `full` protocol holds the whole
 * catalogue (100,000+ items), which the page's ranker refuses (MAX_CANDIDATES = 10,000) and
 * which would cost one `profile.value` walk, one `cleanFeatures` object and one sort per item
 * and user. Two exact ways around it, both computing what the browser's ranker computes:
 *
 * 1. `rankAll`: the ranker itself (`prepareRanking` + `finishRanking`, src/rank/ranker.ts) on a
 *    list that `sanitizeCandidates` checked in pieces of MAX_CANDIDATES: the same validation and
 *    fusion, without the page's length guard. Any model can use it (the encoder rows do).
 * 2. `ProfileFullScorer`: the profile rows' fused scores for a whole-catalogue list in O(N) array
 *    work per user. The profile's score of an item is a sum of terms, one per feature it shares
 *    with the history (profile.ts `walk`): its id, each category prefix, its brand, its price
 *    band, its title tokens that match a query, its similarity-table neighbours in the history.
 *    An item that shares neither its id, nor a query token, nor a table link with the history
 *    ("plain") therefore scores value({category}) + value({brand}) + value({price}), and those
 *    three are asked of the real `profile.value` once per distinct path / brand / band (a proxy
 *    item with only that field), not once per item. Every other item ("special": the target,
 *    history items, query matches, items whose table row names a history item) is scored by
 *    `profile.value` itself. The server signal and the standardisation are the ranker's own
 *    `serverSignal` and `standardise` (src/rank/fuse.ts), and the fusion is the ranker's
 *    `server · ẑ_server + profile · ẑ_profile`. full.test.ts checks that the scores are
 *    bit-identical to `rankAll` on lists with categories, brands, prices, queries, repeats and
 *    a similarity table, so a change to the profile's features shows up there, not in a figure.
 */
import type { StoredEvent } from '../../events/types'
import { priceBand, uniqueTokens } from '../../interest/features'
import { MemorySimilarityTable } from '../../interest/similarity'
import type { InterestProfile, SimilarityTable } from '../../interest/types'
import { cleanFeatures, DEFAULT_RANKER_CONFIG, MAX_CANDIDATES, sanitizeCandidates, serverSignal, standardise, type RankerConfig } from '../../rank'
import type { SanitizedCandidates } from '../../rank/candidates'
import { finishRanking, prepareRanking, rankCandidates, type RankContext } from '../../rank/ranker'
import type { Candidate, RankOptions, RankResult } from '../../rank/types'

/** The ranker on a list of any length: `sanitizeCandidates` in pieces of MAX_CANDIDATES, then the ranker's own prepare + finish. */
export function rankAll<C extends Candidate>(candidates: ReadonlyArray<C>, ctx: RankContext, options?: RankOptions | null): RankResult<C> {
  if (candidates.length <= MAX_CANDIDATES) return rankCandidates(candidates, ctx, options)
  const valid: C[] = []
  const features: Candidate[] = []
  const scores: number[] = []
  const issues: SanitizedCandidates<C>['issues'] = []
  const seen = new Map<string, number>()
  for (let from = 0; from < candidates.length; from += MAX_CANDIDATES) {
    const part = sanitizeCandidates<C>(candidates.slice(from, from + MAX_CANDIDATES), ctx.strict)
    for (const is of part.issues) issues.push({ ...is, index: is.index + from })
    part.valid.forEach((c, i) => {
      // Duplicates across pieces: the first copy wins, as within one piece.
      if (seen.has(c.id)) return void issues.push({ index: from + i, field: `candidates[${from + i}].id`, reason: `duplicate of an earlier candidate "${c.id}"`, action: 'dropped' })
      seen.set(c.id, valid.length)
      valid.push(c)
      features.push(part.features[i]!)
      scores.push(part.serverScores[i]!)
    })
  }
  return finishRanking(prepareRanking(candidates, ctx, { valid, serverScores: Float64Array.from(scores), features, index: seen, issues }), ctx, options)
}

/** The fused scores of a ranking, aligned with the (valid) input order. */
export function scoresOf(res: RankResult<Candidate>, n: number): Float64Array {
  if (res.items.length !== n) throw new Error(`ranker returned ${res.items.length} of ${n} candidates (${res.issues.length} issues)`)
  const out = new Float64Array(n)
  for (const it of res.items) out[it.serverRank] = it.score
  return out
}

/**
 * Columns of the universe (split.universe order) that the profile's plain-item score depends
 * on, read through `cleanFeatures` as the ranker reads candidates.
 */
export class CatalogueColumns {
  /** 1 + index into `paths` (0: no category). */
  readonly path: Int32Array
  readonly paths: string[][] = []
  /** Top segment of each path. */
  readonly pathTop: string[] = []
  /** 1 + index into `brands` (0: no brand). */
  readonly brand: Int32Array
  readonly brands: string[] = []
  readonly brandIndex = new Map<string, number>()
  readonly price: Float64Array
  /** 1 where the item carries its own `neighbours` (feed rows): the profile then scores it from them. */
  readonly carries: Uint8Array
  readonly index = new Map<string, number>()
  private tokens: Map<string, number[]> | null = null

  constructor(readonly items: ReadonlyArray<Candidate>) {
    const n = items.length
    this.path = new Int32Array(n)
    this.brand = new Int32Array(n)
    this.price = new Float64Array(n).fill(Number.NaN)
    this.carries = new Uint8Array(n)
    const pathIds = new Map<string, number>()
    const brandIds = this.brandIndex
    items.forEach((raw, i) => {
      this.index.set(raw.id, i)
      const c = cleanFeatures(raw)
      if (c.category && c.category.length > 0) {
        const key = JSON.stringify(c.category)
        let p = pathIds.get(key)
        if (p === undefined) {
          pathIds.set(key, (p = this.paths.length))
          this.paths.push(c.category)
          this.pathTop.push(c.category[0]!)
        }
        this.path[i] = p + 1
      }
      if (c.brand !== undefined) {
        let b = brandIds.get(c.brand)
        if (b === undefined) {
          brandIds.set(c.brand, (b = this.brands.length))
          this.brands.push(c.brand)
        }
        this.brand[i] = b + 1
      }
      if (c.price !== undefined) this.price[i] = c.price
      if (c.neighbours !== undefined) this.carries[i] = 1
    })
  }

  /** Query token → items whose title holds it (the profile's `uniqueTokens`), built on first use. */
  byToken(): Map<string, number[]> {
    if (this.tokens) return this.tokens
    const t = new Map<string, number[]>()
    this.items.forEach((c, i) => {
      if (typeof c.title !== 'string') return
      for (const tok of uniqueTokens(c.title)) {
        let l = t.get(tok)
        if (!l) t.set(tok, (l = []))
        l.push(i)
      }
    })
    return (this.tokens = t)
  }
}

/** An id no catalogue item or history event uses: proxy items carry one field and no id match. */
const PROXY_ID = '\u0000localrank-full-ranking-proxy'

/**
 * The exact fused score of the profile rows over a whole-catalogue list (see the module
 * comment). One per model: it keeps the price bands and the reverse similarity index.
 */
export class ProfileFullScorer {
  private readonly band: Int32Array
  /** Representative price of band b (b + 1 indexes it; 0 = no band). */
  private readonly bandPrice: number[] = []
  /** Universe items whose table row names universe item h: CSR over h. */
  private readonly revOffsets: Int32Array | null = null
  private readonly revItems: Int32Array | null = null
  private readonly cfg: RankerConfig
  private readonly stamp: Uint32Array
  private tick = 0
  private readonly serverCache = new Map<number, Float64Array>()

  constructor(
    private readonly cols: CatalogueColumns,
    priceBands: ReadonlyArray<number>,
    similarity: SimilarityTable | undefined,
    ranker?: Partial<RankerConfig>,
  ) {
    const n = cols.items.length
    this.cfg = { ...DEFAULT_RANKER_CONFIG, ...ranker, weights: { ...DEFAULT_RANKER_CONFIG.weights, ...ranker?.weights } }
    this.stamp = new Uint32Array(n)
    this.band = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      const p = cols.price[i]!
      const b = Number.isNaN(p) ? -1 : priceBand(p, priceBands)
      if (b >= 0) {
        this.band[i] = b + 1
        this.bandPrice[b + 1] ??= p
      }
    }
    if (similarity) {
      if (!(similarity instanceof MemorySimilarityTable)) throw new Error('full ranking at scale needs the in-memory similarity table (MemorySimilarityTable)')
      const { ids, offsets, neighbors } = similarity.toArrays()
      const t2u = Int32Array.from(ids, (id) => cols.index.get(id) ?? -1)
      const counts = new Int32Array(n + 1)
      for (let r = 0; r < ids.length; r++) {
        if (t2u[r]! < 0) continue
        for (let j = offsets[r]!; j < offsets[r + 1]!; j++) {
          const h = t2u[neighbors[j]!]!
          if (h >= 0) counts[h + 1]!++
        }
      }
      for (let h = 0; h < n; h++) counts[h + 1]! += counts[h]!
      const items = new Int32Array(counts[n]!)
      const fill = counts.slice(0, n)
      for (let r = 0; r < ids.length; r++) {
        const c = t2u[r]!
        if (c < 0) continue
        for (let j = offsets[r]!; j < offsets[r + 1]!; j++) {
          const h = t2u[neighbors[j]!]!
          if (h >= 0) items[fill[h]!++] = c
        }
      }
      this.revOffsets = counts
      this.revItems = items
    }
  }

  /**
   * Fused scores of `cands` (universe items `universe[i]`) for a profile fed `history`, at `now`:
   * what `rerank(cands, { now, profile, encoder: null, config })` gives, item by item.
   */
  score(cands: ReadonlyArray<Candidate>, universe: Int32Array, profile: InterestProfile, history: HistoryFeatures, now: number): Float64Array {
    return this.fuse(cands, this.raw(cands, universe, profile, history, now))
  }

  /** The profile's value of every candidate (bit-identical to `profile.value(cleanFeatures(c), now)`). */
  raw(cands: ReadonlyArray<Candidate>, universe: Int32Array, profile: InterestProfile, history: HistoryFeatures, now: number): Float64Array {
    const n = cands.length
    const cols = this.cols
    const raw = new Float64Array(n)
    if (profile.size > 0) {
      // Per-user tables of the plain items' three terms, from the real profile.
      const pathVal = new Float64Array(cols.paths.length + 1)
      for (let p = 0; p < cols.paths.length; p++) if (history.tops.has(cols.pathTop[p]!)) pathVal[p + 1] = profile.value({ id: PROXY_ID, category: cols.paths[p]! }, now)
      const brandVal = new Float64Array(cols.brands.length + 1)
      for (const b of history.brands) {
        const k = cols.brandIndex.get(b)
        if (k !== undefined) brandVal[k + 1] = profile.value({ id: PROXY_ID, brand: b }, now)
      }
      const bandVal = new Float64Array(this.bandPrice.length + 1)
      for (let b = 1; b < this.bandPrice.length; b++) if (this.bandPrice[b] !== undefined) bandVal[b] = profile.value({ id: PROXY_ID, price: this.bandPrice[b]! }, now)
      // Special items: scored by the profile itself.
      const tick = ++this.tick
      const stamp = this.stamp
      const mark = (u: number | undefined) => {
        if (u !== undefined && u >= 0) stamp[u] = tick
      }
      for (const id of history.items) {
        const h = cols.index.get(id)
        mark(h)
        if (h !== undefined && this.revOffsets && this.revItems) for (let j = this.revOffsets[h]!; j < this.revOffsets[h + 1]!; j++) stamp[this.revItems[j]!] = tick
      }
      for (const id of history.listed) mark(cols.index.get(id))
      if (history.queryTokens.size > 0) {
        const byTok = cols.byToken()
        for (const tok of history.queryTokens) for (const u of byTok.get(tok) ?? []) stamp[u] = tick
      }
      const path = cols.path
      const brand = cols.brand
      const band = this.band
      const carries = cols.carries
      for (let i = 0; i < n; i++) {
        const u = universe[i]!
        if (stamp[u] === tick || carries[u] === 1) raw[i] = profile.value(cleanFeatures(cands[i]!), now)
        else raw[i] = pathVal[path[u]!]! + brandVal[brand[u]!]! + bandVal[band[u]!]!
      }
    }
    return raw
  }

  /** The ranker's fusion of the server signal and the profile's raw values (`scores`: the candidates' finite `score`s as a column, when the caller has one). */
  fuse(cands: ReadonlyArray<Candidate>, raw: Float64Array, scores?: Float64Array): Float64Array {
    const n = cands.length
    const z = standardise(raw)
    const server = this.server(cands, scores)
    const ws = this.cfg.weights.server
    const wp = this.cfg.weights.profile
    const out = new Float64Array(n)
    for (let i = 0; i < n; i++) out[i] = ws * server[i]! + wp * z[i]!
    return out
  }

  /** ẑ of the server signal; with the rank transform it depends only on the list's length (cached). */
  private server(cands: ReadonlyArray<Candidate>, column?: Float64Array): Float64Array {
    const t = this.cfg.serverTransform
    if (t === 'rank') {
      let s = this.serverCache.get(cands.length)
      if (!s) {
        if (this.serverCache.size > 64) this.serverCache.clear()
        this.serverCache.set(cands.length, (s = standardise(serverSignal(new Float64Array(cands.length), 'rank'))))
      }
      return s
    }
    // The runner's column (ListHint.server) holds every candidate's finite score (each has one:
    // its train-set popularity), so it equals what the ranker reads from the objects.
    const scores = column && column.length === cands.length ? column : Float64Array.from(cands, (c) => (typeof c.score === 'number' && Number.isFinite(c.score) ? c.score : Number.NaN))
    return standardise(serverSignal(scores, t))
  }
}

/** What a session's history says about which items can have more than plain terms. */
export class HistoryFeatures {
  readonly items = new Set<string>()
  readonly tops = new Set<string>()
  readonly brands = new Set<string>()
  readonly queryTokens = new Set<string>()
  /** Ids named by `neighbours` carried by history items (the profile's reverse item-data path). */
  readonly listed = new Set<string>()

  add(e: StoredEvent): void {
    for (const it of e.items) {
      this.items.add(it.id)
      if (Array.isArray(it.category) && typeof it.category[0] === 'string') this.tops.add(it.category[0])
      if (typeof it.brand === 'string') this.brands.add(it.brand)
      if (Array.isArray(it.neighbours)) for (const p of it.neighbours) if (Array.isArray(p) && typeof p[0] === 'string') this.listed.add(p[0])
    }
    if (typeof e.query === 'string') for (const t of uniqueTokens(e.query)) this.queryTokens.add(t)
  }
}
