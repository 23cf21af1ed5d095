import { ValidationError } from '../errors'
import { EVENT_TYPES, type EventType, type Item, type StoredEvent } from '../events/types'
import { makeAccumulator, UnitList, type Accumulator } from './accumulator'
import { FEATURE_KINDS, resolveProfileConfig } from './config'
import { escapeSegment, CATEGORY_SEPARATOR, priceBand, priceBandLabel, uniqueTokens } from './features'
import { MemorySimilarityTable } from './similarity'
import type { Contribution, DecayKernel, FeatureKind, Interest, InterestProfile, ProfileConfig, ProfileOptions, ProfileMasses, ProfileScore, SimilarityTable } from './types'

/**
 * One profiled feature: its units (shared by both kernels) and one accumulator per kernel.
 * `c*` fields cache the fused weight for one (version, now), so scoring 100 candidates at
 * one instant computes each feature once.
 */
interface Entry {
  readonly kind: FeatureKind
  readonly key: string
  readonly list: UnitList
  readonly long: Accumulator
  readonly short: Accumulator
  count: number
  /** Distinct item ids that carried this feature (null for the mass and for query tokens): explanations count items, not events. */
  ids: Set<string> | null
  /** Bit i set: an event of type EVENT_TYPES[i] carried it (explanations name the real event). */
  types: number
  /** Item entries: the latest title the events carried (explanations name items by title, not id). */
  title?: string
  lastSeen: number
  cVer: number
  cNow: number
  cVal: number
  /** Item entries: the `similar` walk that last counted this item (a repeated neighbour id counts once). */
  simStamp: number
}

/** Category trie node: keyed by raw segment, so paths never collide whatever the segments hold. */
interface CatNode {
  readonly entry: Entry
  children: Map<string, CatNode> | null
}

/**
 * Candidate title → its query tokens (`uniqueTokens`, a pure function of the string), shared by
 * every profile of this realm: a profile rebuilt (a reload, another tab's write, a forget) and
 * the evaluator's one profile per shopper would otherwise tokenize the same titles again
 * (a quarter of the profile rows' time on the 1M-event log). Cleared when full; the arrays are
 * never modified by their readers. Holds catalogue text only, never history.
 */
const titleTokens = new Map<string, string[]>()
let titleCacheMax = 4096

/** The shared title-token cache's size (offline tools over a 100,000-product catalogue raise it; the page keeps 4,096). */
export function setTitleTokenCacheLimit(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`title token cache limit must be a positive integer (got ${n})`)
  titleCacheMax = n
  if (titleTokens.size > n) titleTokens.clear()
}
const KIND_ORDER: Record<Contribution['kind'], number> = { item: 0, category: 1, tag: 2, brand: 3, price: 4, query: 5, similar: 6 }

/**
 * The fused interest profile. See `createProfile` for the model.
 */
class Profile implements InterestProfile {
  readonly config: ProfileConfig
  private readonly longK: DecayKernel
  private readonly shortK: DecayKernel
  private readonly similarity: SimilarityTable | undefined
  private readonly items = new Map<string, Entry>()
  private readonly brands = new Map<string, Entry>()
  private readonly tags = new Map<string, Entry>()
  private readonly queries = new Map<string, Entry>()
  private readonly catRoot = new Map<string, CatNode>()
  private readonly catByKey = new Map<string, Entry>()
  private readonly prices: Array<Entry | undefined>
  private readonly mass: Entry
  // Fast path for the in-memory table: history items by table index, and the table's arrays.
  private readonly memSim: MemorySimilarityTable | null
  // simSlot[tableIndex] = 1 + position in simEntries (0 = not in the history). A dense
  // Int32Array (4 bytes per table item) rather than a Map: ~3× faster lookups in the O(k) walk.
  private simSlot: Int32Array | null = null
  private readonly simEntries: Entry[] = []
  // Item data carried by the history's items (issue 10): each history item's latest
  // `neighbours` row, and the reverse index candidate id → [history entry, weight] of every
  // history item that lists that candidate (see `similar`).
  private readonly carried = new Map<string, ReadonlyArray<readonly [string, number]>>()
  private readonly listedBy = new Map<string, Array<[Entry, number]>>()
  private simWalk = 0
  private readonly csr: MemorySimilarityTable['csr'] | null
  private version = 0
  private events = 0
  // Per-instant cache of the masses and gate.
  private cVer = -1
  private cNow = Number.NaN
  private massLong = 0
  private massShort = 0
  private g = 0

  constructor(config: ProfileOptions | undefined, similarity: SimilarityTable | undefined) {
    const r = resolveProfileConfig(config)
    this.config = r.config
    this.longK = r.long
    this.shortK = r.short
    this.similarity = similarity
    this.memSim = similarity instanceof MemorySimilarityTable ? similarity : null
    this.csr = this.memSim ? this.memSim.csr : null
    this.prices = new Array<Entry | undefined>(r.config.priceBands.length + 1).fill(undefined)
    this.mass = this.entry('item', '')
  }

  get size(): number {
    return this.events
  }

  private entry(kind: FeatureKind, key: string): Entry {
    const list = new UnitList()
    return {
      kind,
      key,
      list,
      long: makeAccumulator(this.longK, list),
      short: makeAccumulator(this.shortK, list),
      count: 0,
      ids: null,
      types: 0,
      lastSeen: -Infinity,
      cVer: -1,
      cNow: Number.NaN,
      cVal: 0,
      simStamp: 0,
    }
  }

  private static fold(e: Entry, t: number, w: number, typeBit = 0, itemId?: string): void {
    e.list.push(t, w)
    e.long.add(t, w)
    e.short.add(t, w)
    e.count++
    e.types |= typeBit
    if (itemId !== undefined) (e.ids ??= new Set()).add(itemId)
    if (t > e.lastSeen) e.lastSeen = t
  }

  private fromMap(map: Map<string, Entry>, kind: FeatureKind, key: string): Entry {
    let e = map.get(key)
    if (!e) map.set(key, (e = this.entry(kind, key)))
    return e
  }

  add(event: StoredEvent): void {
    // Check everything before touching state, so a bad event leaves the profile as it was.
    if (typeof event !== 'object' || event === null) throw new ValidationError('invalid_event', 'event', 'must be an object')
    const t = event.timestamp
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new ValidationError('invalid_event', 'timestamp', 'must be a finite number')
    const weights = this.config.eventWeights
    if (typeof event.type !== 'string' || !Object.hasOwn(weights, event.type)) {
      throw new ValidationError('invalid_event', 'type', `must be one of ${Object.keys(weights).join(', ')}`)
    }
    const items = event.items ?? []
    if (!Array.isArray(items)) throw new ValidationError('invalid_event', 'items', 'must be an array')
    items.forEach((it, i) => {
      if (typeof it !== 'object' || it === null || typeof it.id !== 'string') throw new ValidationError('invalid_event', `items[${i}].id`, 'must be a string')
    })

    // An impression says nothing about taste (src/rank/impressions.ts reads it): not profiled.
    if (event.type === 'view_item_list') return
    this.version++
    this.events++
    // Items of a search event (if a shop sends any) count with the search weight.
    const w = weights[event.type]
    const bit = 1 << EVENT_TYPES.indexOf(event.type)
    const edges = this.config.priceBands
    for (const it of items) {
      // One unit per item occurrence: it adds |w| to the mass, and its (signed) weight to
      // each of its features.
      Profile.fold(this.mass, t, Math.abs(w))
      let itemEntry = this.items.get(it.id)
      if (!itemEntry) {
        this.items.set(it.id, (itemEntry = this.entry('item', it.id)))
        const idx = this.memSim ? this.memSim.indexOf(it.id) : -1
        if (idx >= 0 && this.memSim) {
          this.simSlot ??= new Int32Array(this.memSim.size)
          this.simSlot[idx] = this.simEntries.push(itemEntry)
        }
      }
      if (it.neighbours !== undefined) this.carryRow(it.id, itemEntry, it.neighbours)
      Profile.fold(itemEntry, t, w, bit)
      if (typeof it.title === 'string' && it.title !== '' && t >= itemEntry.lastSeen) itemEntry.title = it.title
      if (Array.isArray(it.category)) {
        let map = this.catRoot
        let key = ''
        for (const seg of it.category) {
          if (typeof seg !== 'string' || seg.length === 0) break
          key = key ? key + CATEGORY_SEPARATOR + escapeSegment(seg) : escapeSegment(seg)
          let node = map.get(seg)
          if (!node) {
            node = { entry: this.entry('category', key), children: null }
            map.set(seg, node)
            this.catByKey.set(key, node.entry)
          }
          Profile.fold(node.entry, t, w, bit, it.id)
          map = node.children ??= new Map()
        }
      }
      if (Array.isArray(it.tags)) {
        // A repeated tag counts once (validated events have none; a hand-built one might).
        for (let j = 0; j < it.tags.length; j++) {
          const tag = it.tags[j]
          if (typeof tag === 'string' && tag.length > 0 && it.tags.indexOf(tag) === j) Profile.fold(this.fromMap(this.tags, 'tag', tag), t, w, bit, it.id)
        }
      }
      if (typeof it.brand === 'string' && it.brand.length > 0) Profile.fold(this.fromMap(this.brands, 'brand', it.brand), t, w, bit, it.id)
      const band = priceBand(it.price, edges)
      if (band >= 0) {
        const e = (this.prices[band] ??= this.entry('price', priceBandLabel(band, edges)))
        Profile.fold(e, t, w, bit, it.id)
      }
    }
    if (typeof event.query === 'string') {
      // A query is one unit; each distinct token carries the search weight once.
      const ws = weights.search
      Profile.fold(this.mass, t, Math.abs(ws))
      for (const tok of uniqueTokens(event.query)) Profile.fold(this.fromMap(this.queries, 'query', tok), t, ws)
    }
  }

  /** Masses and gate at `now`, computed once per (version, now). */
  private at(now: number): void {
    if (this.cVer === this.version && this.cNow === now) return
    this.massLong = this.mass.long.sum(now)
    this.massShort = this.mass.short.sum(now)
    const { bias, slope } = this.config.gate
    const x = bias + slope * Math.log1p(this.massShort > 0 ? this.massShort : 0) // > 0 also rejects NaN
    this.g = sigmoid(x)
    this.cVer = this.version
    this.cNow = now
  }

  /**
   * Fused weight of one feature (call `at(now)` first):
   *   v(f) = g · S_short(f)/M_short + (1 − g) · S_long(f)/M_long
   */
  private fused(e: Entry, now: number): number {
    if (e.cVer === this.version && e.cNow === now) return e.cVal
    const vs = e.short.share(this.mass.short, now, this.massShort)
    const vl = e.long.share(this.mass.long, now, this.massLong)
    const v = this.g * vs + (1 - this.g) * vl
    e.cVer = this.version
    e.cNow = now
    e.cVal = v
    return v
  }

  private tokensOf(title: string): string[] {
    let toks = titleTokens.get(title)
    if (!toks) {
      if (titleTokens.size >= titleCacheMax) titleTokens.clear()
      toks = uniqueTokens(title)
      titleTokens.set(title, toks)
    }
    return toks
  }

  /** The one scoring walk; `out` null = hot path (no allocation beyond cached title tokens). */
  private walk(item: Item, now: number, out: Contribution[] | null): number {
    if (this.events === 0 || typeof item !== 'object' || item === null) return 0
    this.at(now)
    const fw = this.config.featureWeights
    let s = 0
    const id = item.id
    if (fw.item !== 0 && typeof id === 'string') {
      const e = this.items.get(id)
      if (e) s += this.term(e, 'item', fw.item, now, out)
    }
    if (fw.category !== 0 && Array.isArray(item.category)) {
      let map: Map<string, CatNode> | null = this.catRoot
      for (let i = 0; i < item.category.length && map; i++) {
        const node: CatNode | undefined = map.get(item.category[i] as string)
        if (!node) break
        s += this.term(node.entry, 'category', fw.category, now, out)
        map = node.children
      }
    }
    if (fw.tag !== 0 && this.tags.size > 0 && Array.isArray(item.tags)) {
      for (let j = 0; j < item.tags.length; j++) {
        const tag = item.tags[j] as string
        const e = this.tags.get(tag)
        if (e && item.tags.indexOf(tag) === j) s += this.term(e, 'tag', fw.tag, now, out)
      }
    }
    if (fw.brand !== 0 && typeof item.brand === 'string') {
      const e = this.brands.get(item.brand)
      if (e) s += this.term(e, 'brand', fw.brand, now, out)
    }
    if (fw.price !== 0) {
      const band = priceBand(item.price, this.config.priceBands)
      const e = band >= 0 ? this.prices[band] : undefined
      if (e) s += this.term(e, 'price', fw.price, now, out)
    }
    if (fw.query !== 0 && this.queries.size > 0 && typeof item.title === 'string') {
      for (const tok of this.tokensOf(item.title)) {
        const e = this.queries.get(tok)
        if (e) s += this.term(e, 'query', fw.query, now, out)
      }
    }
    if (fw.similar !== 0 && typeof id === 'string' && this.items.size > 0) s += this.similar(item, id, fw.similar, now, out)
    return s
  }

  /**
   * Decayed item-to-item CF, Σ_h v(h)·sim(h, c) over the history items h, from whatever data is
   * at hand; one code path for the item-data mode and the whole-table mode (issue 10):
   * 1. c carries `neighbours` (its feed row: the same numbers as c's row of the table): walk
   *    them, O(k), looking each one up in the history. Nothing else is used for c. The item
   *    itself and a repeated id count once at most (the first listed, i.e. the strongest).
   * 2. Otherwise the reverse direction: every history item h that carried `neighbours` listing
   *    c gives sim(h, c) = its weight for c (the `listedBy` index built in `add`, O(hits)).
   * 3. And for the history items that carried no neighbours, a loaded table: c's table row
   *    (today's path), O(k), walking its typed arrays for the in-memory table.
   * With no item data anywhere, (3) alone is the table path unchanged; with candidates carrying
   * their table rows and no table loaded, (1) gives the same sums term by term. (2) + (3) is
   * exact for a symmetric table, where c's row holds exactly the items that list c.
   */
  private similar(item: Item, id: string, weight: number, now: number, out: Contribution[] | null): number {
    let s = 0
    const own = (item as { neighbours?: unknown }).neighbours
    if (Array.isArray(own)) {
      const stamp = ++this.simWalk
      for (let j = 0; j < own.length; j++) {
        const pair = own[j] as readonly [string, number]
        if (!Array.isArray(pair)) continue
        const e = this.items.get(pair[0])
        const w = pair[1]
        if (!e || e.simStamp === stamp || typeof w !== 'number' || !Number.isFinite(w) || pair[0] === id) continue
        e.simStamp = stamp
        s += this.term(e, 'similar', weight * w, now, out)
      }
      return s
    }
    const links = this.listedBy.get(id)
    if (links) for (const [e, w] of links) s += this.term(e, 'similar', weight * w, now, out)
    const sim = this.similarity
    if (!sim) return s
    const skip = this.carried.size > 0 ? this.carried : null
    const csr = this.csr
    if (csr && this.memSim) {
      const row = this.memSim.indexOf(id)
      const slots = this.simSlot
      if (row < 0 || !slots) return s
      const end = csr.offsets[row + 1] as number
      for (let j = csr.offsets[row] as number; j < end; j++) {
        const slot = slots[csr.neighbors[j] as number] as number
        if (slot === 0) continue
        const e = this.simEntries[slot - 1] as Entry
        if (!skip?.has(e.key)) s += this.term(e, 'similar', weight * (csr.sims[j] as number), now, out)
      }
      return s
    }
    const nbrs = sim.neighbors(id)
    for (let i = 0; i < nbrs.length; i++) {
      const pair = nbrs[i] as readonly [string, number]
      const e = this.items.get(pair[0])
      if (e && pair[1] === pair[1] && !skip?.has(e.key)) s += this.term(e, 'similar', weight * pair[1], now, out)
    }
    return s
  }

  /**
   * Remember the `neighbours` a history item carried (the latest event's row wins: a feed may
   * have been refreshed), replacing its earlier row in the reverse index. Malformed pairs, the
   * item itself and repeated ids are skipped (stored events are already clean: compact.ts).
   */
  private carryRow(h: string, e: Entry, nbrs: unknown): void {
    if (!Array.isArray(nbrs)) return
    const old = this.carried.get(h)
    if (old && sameRow(old, nbrs)) return
    if (old) {
      for (const [c] of old) {
        const l = this.listedBy.get(c)
        const k = l ? l.findIndex((x) => x[0] === e) : -1
        if (l && k >= 0) {
          l.splice(k, 1)
          if (l.length === 0) this.listedBy.delete(c)
        }
      }
    }
    const row: Array<readonly [string, number]> = []
    const seen = new Set<string>([h])
    for (const p of nbrs as unknown[]) {
      if (!Array.isArray(p)) continue
      const c: unknown = p[0]
      const w: unknown = p[1]
      if (typeof c !== 'string' || typeof w !== 'number' || !Number.isFinite(w) || seen.has(c)) continue
      seen.add(c)
      row.push([c, w])
      let l = this.listedBy.get(c)
      if (!l) this.listedBy.set(c, (l = []))
      l.push([e, w])
    }
    this.carried.set(h, row)
  }

  /** One score term: weight · v(e), recorded in `out` when explaining. */
  private term(e: Entry, kind: Contribution['kind'], weight: number, now: number, out: Contribution[] | null): number {
    const v = weight * this.fused(e, now)
    if (out && v !== 0) out.push(Profile.contribution(e, kind, v))
    return v
  }

  /** One explained term: counts distinct items, names the events and the title (see Contribution). */
  private static contribution(e: Entry, kind: Contribution['kind'], value: number): Contribution {
    const c: Contribution = { kind, key: e.key, value, count: e.count }
    if (e.kind !== 'query') c.items = e.ids ? e.ids.size : 1
    if (e.types !== 0) c.events = EVENT_TYPES.filter((_, i) => e.types & (1 << i)) as EventType[]
    if (e.title !== undefined) c.title = e.title
    return c
  }

  value(item: Item, now: number): number {
    return this.walk(item, now, null)
  }

  score(item: Item, now: number): ProfileScore {
    const contributions: Contribution[] = []
    const score = this.walk(item, now, contributions)
    contributions.sort(byValue)
    return { score, contributions }
  }

  weight(kind: FeatureKind, key: string, now: number): number {
    const e = this.lookup(kind, key)
    if (!e || this.events === 0) return 0
    this.at(now)
    return this.fused(e, now)
  }

  private lookup(kind: FeatureKind, key: string): Entry | undefined {
    switch (kind) {
      case 'item':
        return this.items.get(key)
      case 'category':
        return this.catByKey.get(key)
      case 'tag':
        return this.tags.get(key)
      case 'brand':
        return this.brands.get(key)
      case 'query':
        return this.queries.get(key)
      case 'price':
        return this.prices.find((e) => e?.key === key)
    }
  }

  masses(now: number): ProfileMasses {
    this.at(now)
    return { long: this.massLong, short: this.massShort, gate: this.g }
  }

  top(now: number, n: number, kind?: FeatureKind): Interest[] {
    if (!(n > 0) || this.events === 0) return []
    this.at(now)
    const out: Interest[] = []
    const visit = (e: Entry | undefined) => {
      if (!e) return
      const w = this.fused(e, now)
      if (w > 0) out.push({ kind: e.kind, key: e.key, weight: w, lastSeen: e.lastSeen, count: e.count })
    }
    const kinds = kind ? [kind] : FEATURE_KINDS
    for (const k of kinds) {
      if (k === 'item') this.items.forEach(visit)
      else if (k === 'category') this.catByKey.forEach(visit)
      else if (k === 'tag') this.tags.forEach(visit)
      else if (k === 'brand') this.brands.forEach(visit)
      else if (k === 'query') this.queries.forEach(visit)
      else if (k === 'price') this.prices.forEach(visit)
    }
    out.sort((a, b) => b.weight - a.weight || b.lastSeen - a.lastSeen || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    return out.length > n ? out.slice(0, n) : out
  }
}

/** Whether a raw `neighbours` list is the row already remembered (the same product viewed again). */
function sameRow(row: ReadonlyArray<readonly [string, number]>, raw: unknown[]): boolean {
  if (row.length !== raw.length) return false
  for (let j = 0; j < row.length; j++) {
    const p = raw[j] as unknown[] | undefined
    const r = row[j] as readonly [string, number]
    if (!Array.isArray(p) || p[0] !== r[0] || p[1] !== r[1]) return false
  }
  return true
}

function byValue(a: Contribution, b: Contribution): number {
  return b.value - a.value || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
}

/** Numerically stable logistic function. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x))
  const z = Math.exp(x)
  return z / (1 + z)
}

/**
 * An empty interest profile.
 *
 * **Units.** Every item occurrence in an event is one unit with the event type's weight
 * w = eventWeights[type]; a query is one unit with weight eventWeights.search. A unit
 * carries its features: the item id, every category prefix key (`home`, `home>lamps`), each
 * distinct tag, the brand and the price band for an item; the distinct query tokens for a query. Item titles
 * are NOT profiled (a view's title words would flood the shopper's interest list with
 * noise); they are matched at scoring time against the query tokens the shopper typed.
 *
 * **Two profiles.** For each kernel P ∈ {long, short} and feature f:
 *   S_P(f) = Σ_{units u ∋ f} w_u · K_P(now − t_u),  M_P = Σ_u |w_u| · K_P(now − t_u)
 * share_P(f) = S_P(f) / M_P ∈ [−1, 1] (0 if M_P = 0): the decayed fraction of activity that
 * involved f, comparable between the two profiles whatever their time scales. A negative
 * weight (remove_from_cart) lowers S_P(f) and still counts as activity in M_P: a removal is
 * recent behaviour, and |S| ≤ M keeps every share bounded however the history is spread.
 *
 * **Gate** (types.ts GateParams): g = sigmoid(bias + slope · log(1 + M_short)), and
 *   v(f) = g · share_short(f) + (1 − g) · share_long(f).
 *
 * **Score** of a candidate c:
 *   Σ_kind featureWeights[kind] · Σ_{f ∈ features(c, kind)} v(f)
 *   + featureWeights.similar · Σ_{h ∈ neighbours(c)} v(item h) · sim(h, c)
 * where features(c, query) are c's distinct title tokens, and sim(h, c) comes from c's own
 * carried `neighbours`, else h's stored ones, else the table (see `similar`). Contributions
 * list each term.
 *
 * **Cost.** `add` is O(features of the event). `score`/`value` are O(features of c + k);
 * with the linear, window or power kernel, the first lookup of a feature at a new `now`
 * walks that feature's unit list (cached until the next `add` or another `now`).
 *
 * @throws ValidationError (`invalid_options`) naming the bad config field.
 */
export function createProfile(config?: ProfileOptions, similarity?: SimilarityTable): InterestProfile {
  return new Profile(config, similarity)
}

/** A profile with `events` folded in, in order. */
export function buildProfile(events: Iterable<StoredEvent>, config?: ProfileOptions, similarity?: SimilarityTable): InterestProfile {
  const p = new Profile(config, similarity)
  for (const e of events) p.add(e)
  return p
}
