import type { EventType } from '../events/types'
import type { Contribution, InterestProfile } from '../interest/types'
import { blockMatcher } from './blocks'
import { sanitizeCandidates, type SanitizedCandidates } from './candidates'
import { DEFAULT_RANKER_CONFIG, type RankerConfig } from './defaults'
import { serverSignal, standardise } from './fuse'
import { DEFAULT_IMPRESSION_CONFIG, impressionPenalty, type ImpressionConfig, type ImpressionLog } from './impressions'
import { mmr } from './mmr'
import { profileSpeaksWith } from '../tuned/signals'
import type { Candidate, EncoderScorer, RankOptions, RankPath, RankResult, RankedItem } from './types'

/** What the ranker knows besides the list. Everything is optional: with nothing, it returns the server's order. */
export interface RankContext {
  now: number
  profile?: InterestProfile | null
  /** Encoder scores aligned with the *valid* candidates (from `sanitizeCandidates`), or null. */
  encoderScores?: Float32Array | Float64Array | null
  /** item id → time of the latest purchase. */
  purchases?: ReadonlyMap<string, number>
  /**
   * Impressions (`view_item_list`, impressions.ts): items shown again and again and never
   * engaged with move down, explained. Absent or `config.weight` 0: off.
   */
  impressions?: { log: ImpressionLog; config?: Partial<ImpressionConfig> } | null
  /**
   * Category keys (as the profile builds them, and plain names) that must never be boosted:
   * candidates in them get no personal signal at all (see blocks.ts for what "in" means).
   */
  blockedCategories?: ReadonlySet<string>
  /** Ids of items the history placed in a blocked category (`personalHistory`): blocked as candidates too, whatever category the server sends. */
  blockedItems?: ReadonlySet<string>
  /**
   * How many events the personal signals were built from (after blocks). 0 means no history:
   * the answer is the server's order, whatever the encoder would say about an empty history
   * (a model scores items even for a user with no events, from item biases alone — that is
   * popularity, not personalisation, and it must not be explained as "your activity").
   * Undefined: not known (the offline evaluator), the signals given are used as they are.
   */
  historySize?: number
  config?: Partial<RankerConfig>
  /**
   * The signal-dependent default of src/tuned/signals.ts, applied here to the values the
   * ranking computes anyway: when set, a profile whose only evidence is content matching most
   * of the list does not reorder it (the result says why). `itemData`: a similarity table is
   * loaded or tracked items carried neighbours. Absent: the profile always speaks (a tuned
   * file's explicit weight, the evaluator, which applies the rule itself).
   */
  contentRule?: { itemData: boolean } | null
  /** Why a higher path was not taken (carried into the result). */
  reason?: string
  strict?: boolean
}

/** Items explained when `RankOptions.explain` is left out (types.ts). */
export const DEFAULT_EXPLAIN_TOP = 100

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now())

/**
 * Rank synchronously: the single code path that the browser engine and the offline
 * evaluator share. The output is always a permutation of the valid input; ties keep the
 * server's order (the sort key ends with the server position), so the result is stable.
 */
export function rankCandidates<C extends Candidate>(candidates: ReadonlyArray<C>, ctx: RankContext, options?: RankOptions | null): RankResult<C> {
  return finishRanking(prepareRanking(candidates, ctx), ctx, options)
}

/**
 * Everything of a ranking that does not need the encoder: the cleaned list, the server signal,
 * blocked categories and the profile's part. `rerank` computes it on the page while the worker
 * encodes, so the two overlap instead of adding up.
 */
export interface PreparedRanking<C extends Candidate> {
  t0: number
  cfg: RankerConfig
  valid: C[]
  issues: RankResult<C>['issues']
  features: Candidate[]
  /** Valid candidate id → index (sanitizeCandidates). */
  index: ReadonlyMap<string, number>
  server: ArrayLike<number>
  isBlocked: Uint8Array
  /** The profile's weighted, standardised score per valid candidate (0 without a profile). */
  personal: Float64Array
  profile: InterestProfile | null
  path: RankPath
  /** The content rule (`RankContext.contentRule`) kept a profile with a history from reordering the list. */
  silenced: boolean
}

/** Why a list kept its order when the content rule silenced the profile (and nothing else spoke). */
export const SILENCED_REASON = 'your history says nothing specific about these items'

export function prepareRanking<C extends Candidate>(candidates: ReadonlyArray<C>, ctx: RankContext, sanitized?: SanitizedCandidates<C>): PreparedRanking<C> {
  const t0 = now()
  const cfg: RankerConfig = { ...DEFAULT_RANKER_CONFIG, ...ctx.config, weights: { ...DEFAULT_RANKER_CONFIG.weights, ...ctx.config?.weights } }
  const { valid, serverScores, features, index, issues } = sanitized ?? sanitizeCandidates<C>(candidates, ctx.strict)
  const n = valid.length

  const server = standardise(serverSignal(serverScores, cfg.serverTransform))
  const isBlocked = new Uint8Array(n)
  const m = blockMatcher(ctx.blockedCategories)
  const ids = ctx.blockedItems
  if (m.size > 0 || (ids && ids.size > 0)) for (let i = 0; i < n; i++) isBlocked[i] = m.blocks(features[i]!, ids) ? 1 : 0
  let path: RankPath = 'server'
  const personal = new Float64Array(n)
  const withHistory = ctx.historySize !== 0 && ctx.profile && ctx.profile.size > 0 ? ctx.profile : null
  let silenced = false
  if (withHistory) {
    const raw = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      // A blocked candidate is one the history says nothing about: 0, exactly like an item
      // that matches no interest, so it neither rises nor sinks against those. (Not NaN, "no
      // opinion", which standardises to the list's mean: above every unmatched item, a boost.)
      raw[i] = isBlocked[i] ? 0 : withHistory.value(features[i]!, ctx.now)
    }
    // The rule counts what the profile knows about each candidate, blocked or not (as the
    // rule's own profileSpeaks over the list does): only a blocked one needs its value now.
    const value = (i: number) => (isBlocked[i] ? withHistory.value(features[i]!, ctx.now) : (raw[i] as number))
    if (ctx.contentRule && !profileSpeaksWith(withHistory, features, value, ctx.now, ctx.contentRule.itemData)) {
      silenced = true
    } else {
      const z = standardise(raw)
      let informative = false
      for (let i = 0; i < n; i++) {
        personal[i] = cfg.weights.profile * (z[i] as number)
        if (z[i] !== 0) informative = true
      }
      if (informative) path = 'profile'
    }
  }
  return { t0, cfg, valid, issues, features, index, server, isBlocked, personal, profile: silenced ? null : withHistory, path, silenced }
}

/** Add the encoder's scores (`ctx.encoderScores`, aligned with `p.valid`), sort, cut and explain. */
export function finishRanking<C extends Candidate>(p: PreparedRanking<C>, ctx: RankContext, options?: RankOptions | null): RankResult<C> {
  const { cfg, valid, features, server, isBlocked, profile } = p
  const n = valid.length
  const personal = p.personal.slice()
  let path = p.path
  const enc = ctx.historySize === 0 ? null : ctx.encoderScores
  let nBlocked = 0
  for (let i = 0; i < n; i++) nBlocked += isBlocked[i] as number
  const allBlocked = n > 0 && nBlocked === n
  if (enc && enc.length === n && !allBlocked) {
    // Blocked candidates: no opinion (NaN → z = 0, the mean of the others, outside their mean
    // and spread). An encoder score has no "nothing known" value as the profile's 0 is; the
    // mean is the neutral one (the old min() sank every blocked item: a block is not a ban).
    const z = standardise(nBlocked > 0 ? Float64Array.from(enc, (v, i) => (isBlocked[i] ? Number.NaN : v)) : enc)
    for (let i = 0; i < n; i++) personal[i] = (personal[i] as number) + cfg.weights.encoder * (z[i] as number)
    path = 'encoder'
  }

  const final = new Float64Array(n)
  const demoted = new Uint8Array(n)
  let nDemoted = 0
  // Impressions are a personal signal: not on the server path, not for a blocked item.
  const imp = path !== 'server' && ctx.impressions && ctx.impressions.log.size > 0 ? ctx.impressions : null
  const impCfg: ImpressionConfig = { ...DEFAULT_IMPRESSION_CONFIG, ...imp?.config }
  const shown = imp && impCfg.weight > 0 ? new Float64Array(n) : null
  // The penalty's unit is the fused score's scale at the library's profile path (server 1 +
  // profile 3, where its weight was measured): it grows with the weights of the signals in use,
  // so scaling every weight leaves the order alone, and the encoder path (weight 50) moves an
  // ignored item as much, relative to its scores, as the profile path does. Unscaled, the same
  // penalty was 1/13 as strong there and an item shown a dozen times never moved.
  const used = cfg.weights.server + (p.path === 'profile' ? cfg.weights.profile : 0) + (path === 'encoder' ? cfg.weights.encoder : 0)
  const impScale = Math.max(0, used) / (DEFAULT_RANKER_CONFIG.weights.server + DEFAULT_RANKER_CONFIG.weights.profile)
  const purchases = ctx.purchases && ctx.purchases.size > 0 ? ctx.purchases : null
  for (let i = 0; i < n; i++) {
    final[i] = cfg.weights.server * (server[i] as number) + (personal[i] as number)
    if (shown && !isBlocked[i]) {
      const pen = impressionPenalty(imp!.log, (valid[i] as C).id, ctx.now, impCfg) * impScale
      shown[i] = pen
      final[i] = (final[i] as number) - pen
    }
  }
  if (purchases) {
    // A shopper's purchases are few and a list is long: each purchase is looked up in the
    // list's index (sanitizeCandidates' id map), not each candidate in the purchases (2,000
    // Map lookups per rerank for a handful of hits). Ids are unique on both sides.
    for (const [id, bought] of purchases) {
      const i = p.index.get(id)
      if (i !== undefined && ctx.now - bought <= cfg.demotePurchasedMs) (demoted[i] = 1), nDemoted++
    }
  }

  // Not demoted first, then by final score, ties in the server's order (see `rankOrder`).
  let order: ArrayLike<number> = rankOrder(final, demoted)

  const o = cleanOptions(options)
  const limit = o.limit !== undefined ? Math.min(o.limit, n) : n
  const lambda = o.diversity
  // MMR re-orders only the first `mmrWindow` items that were not just bought: the demoted ones
  // stay below the rest (MMR would otherwise lift a purchase of a second ago back to #1, as
  // the most relevant item), and the window bounds its O(window²) work whatever the list's
  // length or `limit` (10,000 candidates without a window took 7–11 s on the main thread).
  const pool = Math.min(n - nDemoted, cfg.mmrWindow)
  if (lambda !== undefined && lambda < 1 && pool > 1) {
    order = mmr(Array.from(order), final, features, Math.max(0, lambda), pool, Math.min(limit, pool))
  }
  const explainTop = o.explain === false ? 0 : o.explain === true ? limit : typeof o.explain === 'number' ? Math.min(limit, o.explain) : Math.min(limit, DEFAULT_EXPLAIN_TOP)
  const items: RankedItem<C>[] = []
  const texts = new DescribeCache()
  for (let k = 0; k < limit; k++) {
    const i = order[k] as number
    const c = valid[i] as C
    const item: RankedItem<C> = { id: c.id, candidate: c, score: final[i] as number, serverRank: i, explanation: [] }
    if (k < explainTop) {
      if (demoted[i]) item.explanation.push({ text: 'Moved down: you bought this recently', source: 'demotion' })
      if (shown && (shown[i] as number) > 0) {
        const times = imp!.log.times(c.id)
        item.explanation.push({ text: `Moved down: shown to you ${times} times, never opened`, source: 'demotion' })
      }
      // No personal explanation for a blocked item, nor when the signals were not used.
      if (path !== 'server' && profile && (personal[i] as number) > 0 && !isBlocked[i]) {
        const cs = profile.score(features[i]!, ctx.now).contributions
        for (let j = 0; j < cs.length && j < cfg.maxExplanations; j++) {
          const contribution = cs[j] as Contribution
          if (contribution.value > 0) item.explanation.push({ text: texts.of(contribution), source: contribution.kind === 'similar' ? 'similar' : 'profile', contribution })
        }
      }
      if (path === 'encoder' && enc && (personal[i] as number) > 0 && item.explanation.length === 0) {
        item.explanation.push({ text: 'Fits the pattern of your recent activity', source: 'encoder' })
      }
    }
    items.push(item)
  }
  const result: RankResult<C> = { items, path, issues: p.issues, timings: { totalMs: now() - p.t0 } }
  const reason =
    ctx.reason ??
    (path !== 'server'
      ? undefined
      : ctx.historySize === 0
        ? 'no history yet'
        : p.silenced
          ? SILENCED_REASON
          : allBlocked && (profile || enc)
            ? 'every candidate is in a category you blocked'
            : profile
              ? 'no personal signal for these candidates'
              : 'no history yet')
  if (reason !== undefined) result.reason = reason
  return result
}

/**
 * Indices 0..n−1 ordered by (demoted ascending, final descending, index ascending): exactly
 * `sort((a, b) => demoted[a] − demoted[b] || final[b] − final[a] || a − b)` for numbers that
 * are not NaN (−0 and +0 tie, as they compare equal there). The comparator sort took ~0.6 ms
 * for 2,000 candidates (a JS call per comparison through the builtin), a merge sort over typed
 * arrays ~0.16 ms, an LSD radix sort in JS 0.08–0.15 ms; this one ~0.055 ms in Node (issue 14):
 * one 64-bit key per candidate, sorted by the engine's own numeric sort of a BigUint64Array
 * (native code, no comparator, no BigInt made: the keys are written through a 32-bit view).
 *
 * Each score becomes a 64-bit key whose unsigned order is the scores' descending order (the
 * IEEE-754 trick: flip every bit of a negative number, only the sign bit of a positive one,
 * then invert for descending). Its lowest `b` bits (b = bits to write n − 1) are replaced by
 * the candidate's index, so equal keys sort in index order (ties stay in the server's order)
 * and the index comes back out of the sorted key. Two scores that differ only in those low
 * bits (within ~2^-38 of each other, relative) then sort by index, not by score: a pass over
 * the sorted keys finds each run of equal upper bits and sorts it by the full key when it is
 * out of that order (rare: exact ties, the common runs, already are). Demoted items are then moved after the rest by a stable partition. A
 * NaN score sorts after every number.
 */
export function rankOrder(final: Float64Array, demoted: Uint8Array): Int32Array {
  const n = final.length
  // Keys as (hi, lo) 32-bit halves, in the machine's byte order (read through one view).
  const bits = new Float64Array(1)
  const word = new Uint32Array(bits.buffer)
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
  const HI = little ? 1 : 0
  const LO = little ? 0 : 1
  let b = 1
  while (b < 32 && 2 ** b < n) b++
  const mask = b >= 32 ? 0xffffffff : (1 << b) - 1
  const keep = ~mask >>> 0
  const keys = new BigUint64Array(n)
  const kw = new Uint32Array(keys.buffer)
  const fullLo = new Uint32Array(n)
  let anyDemoted = 0
  for (let i = 0; i < n; i++) {
    const v = final[i] as number
    // +0 for −0 (they tie in the comparator); NaN after −Infinity.
    bits[0] = v === 0 ? 0 : v === v ? v : Number.NEGATIVE_INFINITY
    let h = word[HI] as number
    let l = word[LO] as number
    if (h >>> 31) {
      h = ~h >>> 0
      l = ~l >>> 0
    } else h = (h | 0x80000000) >>> 0
    // Descending: the complement. A NaN has −Infinity's high half and the largest low half: just after it.
    l = (v === v ? ~l : 0xffffffff) >>> 0
    fullLo[i] = l
    kw[2 * i + HI] = ~h >>> 0
    kw[2 * i + LO] = ((l & keep) | i) >>> 0
    anyDemoted |= demoted[i] as number
  }
  keys.sort()
  const a = new Int32Array(n)
  for (let k = 0; k < n; k++) a[k] = (kw[2 * k + LO] as number) & mask
  // Runs of equal upper bits: by the full low half, then index. Each run is in index order
  // already, so a run of exact ties (the usual kind: every candidate without a score and a
  // signal) is already right and costs one look; a run of scores within ~2^-38 of each other
  // that is out of order (rare, or a hostile list) gets a comparator sort, never a quadratic one.
  const upper = (k: number) => (kw[2 * k + LO] as number) & keep
  let start = 0
  while (start < n) {
    const h = kw[2 * start + HI]
    const u = upper(start)
    let end = start + 1
    let ordered = true
    for (; end < n && kw[2 * end + HI] === h && upper(end) === u; end++) {
      if ((fullLo[a[end] as number] as number) < (fullLo[a[end - 1] as number] as number)) ordered = false
    }
    if (!ordered) a.subarray(start, end).sort((x, y) => (fullLo[x] as number) - (fullLo[y] as number) || x - y)
    start = end
  }
  if (!anyDemoted) return a
  // Demoted last, each group in the order found (a stable partition: one more pass).
  const out = new Int32Array(n)
  let k = 0
  for (let j = 0; j < n; j++) if (!demoted[a[j] as number]) out[k++] = a[j] as number
  for (let j = 0; j < n; j++) if (demoted[a[j] as number]) out[k++] = a[j] as number
  return out
}

function unescapeLeaf(key: string): string {
  // Most keys have no escape: no regex then (issue 14: two
  // regexes per explained category contribution were a tenth of the page's ranking time).
  if (key.indexOf('\\') < 0) return key.slice(key.lastIndexOf('>') + 1)
  const parts = key.split(/(?<!\\)>/)
  return (parts[parts.length - 1] ?? key).replace(/\\(.)/g, '$1')
}

/**
 * The options a page passed, with anything malformed left out: `rerank(list, null)` or a
 * `limit` of "abc" must answer like no options at all, never with an empty list.
 */
export function cleanOptions(options: unknown): RankOptions {
  const out: RankOptions = {}
  if (typeof options !== 'object' || options === null) return out
  const o = options as Record<string, unknown>
  const num = (v: unknown) => (typeof v === 'number' && v === v ? v : undefined)
  const limit = num(o['limit'])
  if (limit !== undefined && limit >= 0) out.limit = Math.floor(Math.min(limit, Number.MAX_SAFE_INTEGER))
  const explain = o['explain']
  if (typeof explain === 'boolean') out.explain = explain
  else if (num(explain) !== undefined && (explain as number) >= 0) out.explain = Math.floor(Math.min(explain as number, Number.MAX_SAFE_INTEGER))
  const deadline = num(o['deadlineMs'])
  if (deadline !== undefined && deadline >= 0) out.deadlineMs = deadline
  const diversity = num(o['diversity'])
  if (diversity !== undefined) out.diversity = Math.min(1, Math.max(0, diversity))
  return out
}

/**
 * What the shopper did, for explanations, strongest event first (the order of the default
 * event weights): "bought" is more telling than "viewed" when both happened. Each verb is
 * split around its object: "added" … "to your cart". `select_item` (opening it from a list)
 * reads as "viewed": to a shopper, opening a product and seeing its page are one act, and a
 * shop typically tracks both for one click.
 */
const VERBS: ReadonlyArray<readonly [EventType, string, string]> = [
  ['purchase', 'bought', ''],
  ['begin_checkout', 'checked out', ''],
  ['add_to_cart', 'added', ' to your cart'],
  ['add_to_wishlist', 'saved', ' to your wishlist'],
  ['select_item', 'viewed', ''],
  ['view_item', 'viewed', ''],
  ['search', 'found', ' in a search'],
]

/** The distinct [verb, tail] pairs for `events`, strongest first ("viewed" once for select + view). */
function verbs(events: ReadonlyArray<EventType> | undefined): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = []
  for (const [type, verb, tail] of VERBS) if (events?.includes(type) && !out.some(([v]) => v === verb)) out.push([verb, tail])
  return out
}

/**
 * One item's history in words: its strongest event only ("You bought this before", true
 * whatever else happened to it; listing every event would read "bought and added this to
 * your cart"). No known event (an old profile) gives the neutral "looked at".
 */
function didOne(events: ReadonlyArray<EventType> | undefined, object: string): string {
  const [verb, tail] = verbs(events)[0] ?? ['looked at', '']
  return object ? `${verb} ${object}${tail}` : `${verb}${tail}`
}

/**
 * A group of items: one event type names it ("You added 2 items in Lamps to your cart");
 * several are listed, since each item had at least one of them ("You viewed or bought 2 items
 * in Action"; "2 items in Lamps you bought or added to your cart" when a verb has a tail).
 */
function didMany(events: ReadonlyArray<EventType> | undefined, object: string): string {
  const vs = verbs(events)
  if (vs.length === 0) return `You looked at ${object}`
  if (vs.length === 1) return `You ${vs[0]![0]} ${object}${vs[0]![1]}`
  if (vs.every(([, tail]) => tail === '')) return `You ${vs.map(([v]) => v).join(' or ')} ${object}`
  return `${object[0]!.toUpperCase()}${object.slice(1)} you ${vs.map(([v, t]) => v + t).join(' or ')}`
}

/**
 * Human text for one contribution. Keys are the profile's own (see src/interest). Counts are
 * of distinct items (`Contribution.items`), never of events: one film opened and then viewed
 * is one film. Items are named by the title their events carried, never by a raw id.
 */
export function describe(c: Contribution): string {
  // Category keys are escaped prefix paths (see categoryKeys in src/interest): show the leaf level.
  const key = c.kind === 'category' ? unescapeLeaf(c.key) : c.key
  switch (c.kind) {
    case 'item':
      return `You ${didOne(c.events, 'this')} before`
    case 'category':
      return c.items !== undefined && c.items > 1 ? didMany(c.events, `${c.items} items in ${key}`) : `Matches your interest in ${key}`
    case 'tag':
      return c.items !== undefined && c.items > 1 ? didMany(c.events, `${c.items} items tagged ${key}`) : `Matches your interest in ${key}`
    case 'brand':
      return `You like ${key}`
    case 'price':
      return `In your usual price range (${key})`
    case 'query':
      return `Matches your search “${key}”`
    case 'similar':
      return c.title ? `Similar to ${c.title}, which you ${didOne(c.events, '')}` : `Similar to something you ${didOne(c.events, '')}`
  }
}

/**
 * `describe`, remembered for one ranking: the top 100 of a list share a few interests ("14
 * items in Action you bought or …" on most of them), and building each text anew (its verbs,
 * its leaf, its template) was ~7% of the page's part of a 2,000-candidate rerank (issue 14).
 * Looked up by key, then compared field by field on everything `describe` reads: a string key
 * joining those fields cost more than the texts it saved.
 */
class DescribeCache {
  private readonly byKey = new Map<string, Array<{ c: Contribution; text: string }>>()
  of(c: Contribution): string {
    let list = this.byKey.get(c.key)
    if (list === undefined) this.byKey.set(c.key, (list = []))
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!
      if (e.c.kind === c.kind && e.c.items === c.items && e.c.title === c.title && sameEvents(e.c.events, c.events)) return e.text
    }
    const text = describe(c)
    list.push({ c, text })
    return text
  }
}

function sameEvents(a: ReadonlyArray<EventType> | undefined, b: ReadonlyArray<EventType> | undefined): boolean {
  if (a === b) return true
  if (a === undefined || b === undefined || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export interface RerankContext extends Omit<RankContext, 'encoderScores'> {
  encoder?: EncoderScorer | null
  deadlineMs?: number
}

/**
 * The async front of the ranker: asks the encoder (if ready) under a deadline, and falls
 * back in order encoder → profile → server. It never rejects unless `strict` is set and the
 * input itself is invalid; any failure of a personal path only lowers the path.
 */
export async function rerank<C extends Candidate>(candidates: ReadonlyArray<C>, ctx: RerankContext, rawOptions?: RankOptions | null): Promise<RankResult<C>> {
  const t0 = now()
  const options = cleanOptions(rawOptions)
  let encoderScores: Float32Array | null = null
  let reason: string | undefined
  let encoderMs: number | undefined
  let prepared: PreparedRanking<C> | null = null
  let profileError: unknown = null
  // The profile's part, guarded: its failure lowers the path to the server's order.
  const prepare = (sanitized?: SanitizedCandidates<C>) => {
    try {
      prepared = prepareRanking(candidates, ctx, sanitized)
    } catch (err) {
      if (ctx.strict || (err as { code?: string }).code === 'invalid_candidates') throw err
      profileError = err
    }
  }
  const deadline = options.deadlineMs ?? ctx.deadlineMs ?? 50
  if (ctx.historySize === 0) {
    // No history: nothing personal to say, so the encoder is not even asked (see historySize).
    reason = 'no history yet'
    prepare()
  } else if (ctx.encoder?.ready()) {
    const te = now()
    const ac = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      // The encoder scores the *valid* list so its output aligns with the prepared ranking.
      const sanitized = sanitizeCandidates<C>(candidates, ctx.strict)
      const scoring = ctx.encoder.score(sanitized.valid, ac.signal)
      // The worker encodes and scores while the page does the profile's share.
      try {
        prepare(sanitized)
      } catch (err) {
        ac.abort()
        throw err
      }
      // The deadline counts from here: a timer due during the synchronous work above would
      // otherwise win the race against an answer that arrived in time.
      const timeout = new Promise<'deadline'>((ok) => {
        timer = setTimeout(() => ok('deadline'), deadline)
      })
      const r = await Promise.race([scoring, timeout])
      if (r === 'deadline') {
        ac.abort()
        reason = `encoder missed the ${deadline} ms deadline`
      } else if (r === null) reason = 'encoder could not score'
      else if (r.length !== sanitized.valid.length) reason = 'encoder returned a wrong number of scores'
      else encoderScores = r
    } catch (err) {
      if (ctx.strict && (err as { code?: string }).code === 'invalid_candidates') throw err
      reason = `encoder failed: ${err instanceof Error ? err.message : String(err)}`
    } finally {
      clearTimeout(timer)
      encoderMs = now() - te
    }
  } else {
    if (ctx.encoder) reason = 'encoder not ready'
    prepare()
  }
  if (!prepared && !profileError) prepare()
  let result: RankResult<C>
  const base: RankContext = { ...ctx, encoderScores }
  if (reason !== undefined) base.reason = reason
  try {
    if (!prepared) throw profileError
    result = finishRanking(prepared, base, options)
  } catch (err) {
    if (ctx.strict || (err as { code?: string }).code === 'invalid_candidates') throw err
    // The profile path itself failed: answer with the server's order.
    result = rankCandidates(candidates, { now: ctx.now, reason: `profile failed: ${err instanceof Error ? err.message : String(err)}` }, options)
  }
  if (reason !== undefined && result.path !== 'server') result.reason = reason
  result.timings.totalMs = now() - t0
  if (encoderMs !== undefined) result.timings.encoderMs = encoderMs
  return result
}
