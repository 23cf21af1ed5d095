import type { StoredEvent } from '../events/types'
import { categoryKeys } from '../interest/features'
import type { Contribution, InterestProfile } from '../interest/types'
import { cleanFeatures, sanitizeCandidates, type SanitizedCandidates } from './candidates'
import { DEFAULT_RANKER_CONFIG, type RankerConfig } from './defaults'
import { serverSignal, standardise } from './fuse'
import { mmr } from './mmr'
import type { Candidate, EncoderScorer, RankOptions, RankPath, RankResult, RankedItem } from './types'

/** What the ranker knows besides the list. Everything is optional: with nothing, it returns the server's order. */
export interface RankContext {
  now: number
  profile?: InterestProfile | null
  /** Encoder scores aligned with the *valid* candidates (from `sanitizeCandidates`), or null. */
  encoderScores?: Float32Array | Float64Array | null
  /** item id → time of the latest purchase. */
  purchases?: ReadonlyMap<string, number>
  /** Category keys (as the profile builds them, and plain names) that must never be boosted. */
  blockedCategories?: ReadonlySet<string>
  config?: Partial<RankerConfig>
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
export function rankCandidates<C extends Candidate>(candidates: ReadonlyArray<C>, ctx: RankContext, options: RankOptions = {}): RankResult<C> {
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
  server: ArrayLike<number>
  isBlocked: Uint8Array
  /** The profile's weighted, standardised score per valid candidate (0 without a profile). */
  personal: Float64Array
  profile: InterestProfile | null
  path: RankPath
}

export function prepareRanking<C extends Candidate>(candidates: ReadonlyArray<C>, ctx: RankContext, sanitized?: SanitizedCandidates<C>): PreparedRanking<C> {
  const t0 = now()
  const cfg: RankerConfig = { ...DEFAULT_RANKER_CONFIG, ...ctx.config, weights: { ...DEFAULT_RANKER_CONFIG.weights, ...ctx.config?.weights } }
  const { valid, serverScores, issues } = sanitized ?? sanitizeCandidates<C>(candidates, ctx.strict)
  const n = valid.length
  const features = valid.map(cleanFeatures) as Candidate[]

  const server = standardise(serverSignal(serverScores, cfg.serverTransform))
  const blocked = ctx.blockedCategories
  const isBlocked = new Uint8Array(n)
  if (blocked && blocked.size > 0) for (let i = 0; i < n; i++) isBlocked[i] = inBlocked(features[i]!, blocked) ? 1 : 0
  let path: RankPath = 'server'
  const personal = new Float64Array(n)
  const profile = ctx.profile && ctx.profile.size > 0 ? ctx.profile : null
  if (profile) {
    const raw = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const v = profile.value(features[i]!, ctx.now)
      // A blocked category carries no interest: it can sink, never rise, on the shopper's history.
      raw[i] = isBlocked[i] ? Math.min(v, 0) : v
    }
    const z = standardise(raw)
    let informative = false
    for (let i = 0; i < n; i++) {
      personal[i] = cfg.weights.profile * (z[i] as number)
      if (z[i] !== 0) informative = true
    }
    if (informative) path = 'profile'
  }
  return { t0, cfg, valid, issues, features, server, isBlocked, personal, profile, path }
}

/** Add the encoder's scores (`ctx.encoderScores`, aligned with `p.valid`), sort, cut and explain. */
export function finishRanking<C extends Candidate>(p: PreparedRanking<C>, ctx: RankContext, options: RankOptions = {}): RankResult<C> {
  const { cfg, valid, features, server, isBlocked, profile } = p
  const n = valid.length
  const personal = p.personal.slice()
  let path = p.path
  const enc = ctx.encoderScores
  if (enc && enc.length === n) {
    let lo = Infinity
    for (let i = 0; i < n; i++) if (!isBlocked[i] && Number.isFinite(enc[i])) lo = Math.min(lo, enc[i] as number)
    const z = standardise(isBlocked.some((b) => b === 1) ? Array.from(enc, (v, i) => (isBlocked[i] ? Math.min(v, lo) : v)) : enc)
    for (let i = 0; i < n; i++) personal[i] = (personal[i] as number) + cfg.weights.encoder * (z[i] as number)
    path = 'encoder'
  }

  const final = new Float64Array(n)
  const demoted = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    final[i] = cfg.weights.server * (server[i] as number) + (personal[i] as number)
    const bought = ctx.purchases?.get((valid[i] as C).id)
    if (bought !== undefined && ctx.now - bought <= cfg.demotePurchasedMs) demoted[i] = 1
  }

  let order = Array.from({ length: n }, (_, i) => i)
  order.sort((a, b) => (demoted[a] as number) - (demoted[b] as number) || (final[b] as number) - (final[a] as number) || a - b)

  const limit = options.limit !== undefined && options.limit >= 0 ? Math.min(Math.floor(options.limit), n) : n
  const lambda = options.diversity
  if (lambda !== undefined && lambda < 1 && n > 1) {
    order = mmr(order, final, features, Math.max(0, lambda), Math.min(n, Math.max(cfg.mmrWindow, limit)), limit)
  }
  const explainTop =
    options.explain === false ? 0
    : options.explain === true ? limit
    : typeof options.explain === 'number' && options.explain >= 0 ? Math.min(limit, Math.floor(options.explain))
    : Math.min(limit, DEFAULT_EXPLAIN_TOP)
  const items: RankedItem<C>[] = []
  for (let k = 0; k < limit; k++) {
    const i = order[k] as number
    const c = valid[i] as C
    const item: RankedItem<C> = { id: c.id, candidate: c, score: final[i] as number, serverRank: i, explanation: [] }
    if (k < explainTop) {
      if (demoted[i]) item.explanation.push({ text: 'Moved down: you bought this recently', source: 'demotion' })
      if (path !== 'server' && profile && (personal[i] as number) > 0 && !isBlocked[i]) {
        for (const contribution of profile.score(features[i]!, ctx.now).contributions.slice(0, cfg.maxExplanations)) {
          if (contribution.value > 0) item.explanation.push({ text: describe(contribution), source: contribution.kind === 'similar' ? 'similar' : 'profile', contribution })
        }
      }
      if (path === 'encoder' && enc && (personal[i] as number) > 0 && item.explanation.length === 0) {
        item.explanation.push({ text: 'Fits the pattern of your recent activity', source: 'encoder' })
      }
    }
    items.push(item)
  }
  const result: RankResult<C> = { items, path, issues: p.issues, timings: { totalMs: now() - p.t0 } }
  const reason = ctx.reason ?? (path === 'server' ? (profile ? 'no personal signal for these candidates' : 'no history yet') : undefined)
  if (reason !== undefined) result.reason = reason
  return result
}

function unescapeLeaf(key: string): string {
  const parts = key.split(/(?<!\\)>/)
  return (parts[parts.length - 1] ?? key).replace(/\\(.)/g, '$1')
}

function inBlocked(c: Candidate, blocked: ReadonlySet<string>): boolean {
  const path = c.category
  if (!path) return false
  if (path.some((level) => blocked.has(level))) return true
  return categoryKeys(path).some((key) => blocked.has(key))
}

/** Human text for one contribution. Keys are the profile's own (see src/interest). */
export function describe(c: Contribution): string {
  // Category keys are escaped prefix paths (see categoryKeys in src/interest): show the leaf level.
  const key = c.kind === 'category' ? unescapeLeaf(c.key) : c.key
  switch (c.kind) {
    case 'item':
      return 'You looked at this before'
    case 'category':
      return c.count !== undefined && c.count > 1 ? `You viewed ${c.count} items in ${key}` : `Matches your interest in ${key}`
    case 'brand':
      return `You like ${key}`
    case 'price':
      return `In your usual price range (${key})`
    case 'query':
      return `Matches your search “${key}”`
    case 'similar':
      return `Similar to ${key}, which you viewed`
  }
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
export async function rerank<C extends Candidate>(candidates: ReadonlyArray<C>, ctx: RerankContext, options: RankOptions = {}): Promise<RankResult<C>> {
  const t0 = now()
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
  if (ctx.encoder && ctx.encoder.ready()) {
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
