import type { Item } from '../../events/types'
import type { Candidate } from '../../rank/types'
import { type Bootstrap, coverageInterval, type Interval } from '../metrics/bootstrap'
import { hitAt, intraListDiversity, ndcgAt, rankInfo, reciprocalRank, topK, type TieMode } from '../metrics/rank'
import { DEFAULT_NEGATIVES, type Phase } from '../protocol/candidates'
import { fnv1a, rngFor, shuffle } from '../protocol/prng'
import { caseFor, type EvalProtocol } from '../protocol/shop'
import type { UserSplit } from '../protocol/split'
import type { EvalContext, ListHint, ModelSpec, Scorer, UserSession } from './types'

export const CUTOFFS = [5, 10, 20] as const
/** K of coverage@K and diversity@K. */
export const LIST_K = 10

export interface RunOptions {
  /** Leave-one-out (uniform, popularity, full) and shop protocols (session, session-new, cart, category): ../protocol/shop.ts. */
  protocols: EvalProtocol[]
  phases: Phase[]
  /** Evaluate only the first N users (dataset order) who have a test item. */
  limitUsers?: number
  negatives?: number
  ties?: TieMode
  /**
   * Emulate the browser store's retention (src/store: events older than `maxAgeMs` are
   * deleted, at most `maxEvents` kept): each list is then scored by a fresh session fed only
   * the events the store would still hold at that time. Default: none (the full history,
   * as the published protocol).
   */
  retention?: { maxAgeMs: number; maxEvents: number }
  /**
   * The full protocol on a seeded sample of this many users (the others get no full list);
   * default every user. Each sampled user is still ranked against the whole catalogue, exactly;
   * the sample only widens the bootstrap interval (`fullSample`).
   */
  fullUsers?: number
  onProgress?: (done: number, total: number, label: string) => void
}

/**
 * Per-user figures of one (model, protocol, phase). A shop protocol has a target for only
 * some users: `users` lists them (indices into `RunResult.users`), and every array is aligned
 * with it. For the leave-one-out protocols it is every user.
 */
export interface Cell {
  model: string
  protocol: EvalProtocol
  phase: Phase
  users: Int32Array
  hr: Record<number, Float64Array>
  ndcg: Record<number, Float64Array>
  mrr: Float64Array
  ild: Float64Array
  /** Top-LIST_K items per user, as universe indices. */
  top: Int32Array[]
  /** Milliseconds in the model (add + score) for this cell's scoring calls. */
  scoreMs: number
}

export interface RunResult {
  users: UserSplit[]
  cells: Cell[]
  /** Milliseconds replaying events into each model's sessions. */
  replayMs: Record<string, number>
  wallMs: number
}

/** The candidate list as the server would send it: popularity order, `score` = popularity. */
export function serverList(ids: ReadonlyArray<string>, item: (id: string) => Candidate): Candidate[] {
  // `ids` arrive shuffled (seeded), so a stable sort leaves equal-popularity items in
  // random order: the held-out item gets no position advantage in the server's list.
  return ids.map(item).sort((a, b) => (b.score ?? 0) - (a.score ?? 0))
}

/**
 * The full protocol's server order over the whole universe, computed once per phase:
 * train-set popularity, ties in a seeded random order. A user's list is this order without
 * the items they interacted with (the target kept), so building it costs O(N) array work,
 * not a sort of N candidates per user (84,791 candidates × every user did not finish).
 * The tie order is shared by all users of a phase (the per-user shuffle was equally random
 * with respect to the target; it is not the same draw).
 */
export function fullOrder(universe: ReadonlyArray<string>, popularity: (id: string) => number, seed: number, phase: Phase): Int32Array {
  const n = universe.length
  const perm = shuffle(
    Array.from({ length: n }, (_, i) => i),
    rngFor(seed, 'full', phase),
  )
  const pop = Float64Array.from(universe, popularity)
  const rank = new Int32Array(n)
  perm.forEach((u, r) => (rank[u] = r))
  return Int32Array.from(perm).sort((a, b) => pop[b]! - pop[a]! || rank[a]! - rank[b]!)
}

/**
 * Replays each evaluated user through every model: events before the validation item,
 * then (phase val) the validation lists scored at the validation event's time, then the
 * events up to the test item, then (phase test) the test lists at the test event's time.
 * Candidate lists are drawn once per (user, phase, protocol) and shared by all models.
 * Every list comes with a `ListHint` (the universe index of each candidate), which lets a
 * model score a 100,000-item list without a lookup per candidate.
 */
export async function runEvaluation(ctx: EvalContext, models: ReadonlyArray<ModelSpec>, opts: RunOptions): Promise<RunResult> {
  const t0 = performance.now()
  const ties = opts.ties ?? 'expected'
  const negatives = opts.negatives ?? DEFAULT_NEGATIVES
  let users = ctx.split.users.filter((u) => u.test && u.val)
  if (opts.limitUsers !== undefined) users = users.slice(0, opts.limitUsers)
  const n = users.length
  const universe = ctx.split.universe
  const universeIndex = new Map<string, number>()
  universe.forEach((id, i) => universeIndex.set(id, i))
  const candCache = new Map<string, Candidate>()
  const candidateOf = (id: string): Candidate => {
    let c = candCache.get(id)
    if (!c) {
      c = candidateFrom(ctx.dataset.items.get(id) ?? { id }, ctx.popularity(id))
      candCache.set(id, c)
    }
    return c
  }
  const labelsOf = (id: string): string[] => ctx.dataset.meta.get(id)?.labels ?? []
  const full = opts.protocols.includes('full')
  const allCands: Candidate[] = full ? universe.map(candidateOf) : []
  // The server's score by universe index, read once (ListHint.server).
  const serverOfUniverse = full ? Float64Array.from(allCands, (c) => c.score ?? 0) : new Float64Array(0)
  const orders = new Map<Phase, Int32Array>()
  if (full) for (const ph of opts.phases) orders.set(ph, fullOrder(universe, ctx.popularity, ctx.seed, ph))
  const excluded = new Uint8Array(full ? universe.length : 0)
  const inFull = fullSample(
    users.map((u) => u.user),
    opts.fullUsers ?? n,
    ctx.seed,
  )

  const scorers: Scorer[] = models.map((m) => m.create(ctx))
  const cells: Cell[] = []
  const cellOf = new Map<string, Cell & { count: number; idx: number[] }>()
  for (const m of models)
    for (const phase of opts.phases)
      for (const protocol of opts.protocols) {
        const c = {
          model: m.name,
          protocol,
          phase,
          users: new Int32Array(0),
          hr: Object.fromEntries(CUTOFFS.map((k) => [k, new Float64Array(n)])),
          ndcg: Object.fromEntries(CUTOFFS.map((k) => [k, new Float64Array(n)])),
          mrr: new Float64Array(n),
          ild: new Float64Array(n),
          top: [] as Int32Array[],
          scoreMs: 0,
          count: 0,
          idx: [] as number[],
        }
        cells.push(c)
        cellOf.set(`${m.name}|${protocol}|${phase}`, c)
      }
  const replayMs: Record<string, number> = Object.fromEntries(models.map((m) => [m.name, 0]))

  const record = (cell: Cell & { count: number; idx: number[] }, ui: number, l: CaseList, scores: Float64Array) => {
    const { list, targetAt: ti } = l
    if (scores.length !== list.length) throw new Error(`model ${cell.model} returned ${scores.length} scores for ${list.length} candidates`)
    const r = rankInfo(scores, ti)
    const j = cell.count++
    cell.idx.push(ui)
    for (const k of CUTOFFS) {
      cell.hr[k]![j] = hitAt(r, k, ties)
      cell.ndcg[k]![j] = ndcgAt(r, k, ties)
    }
    cell.mrr[j] = reciprocalRank(r, ties)
    const top = topK(scores, LIST_K)
    cell.top.push(Int32Array.from(top, (i) => l.hint.universe[i]!))
    cell.ild[j] = intraListDiversity(top.map((i) => labelsOf(list[i]!.id)))
  }

  const listOf = (ids: ReadonlyArray<string>, target: string): CaseList => {
    const list = serverList(ids, candidateOf)
    const uix = Int32Array.from(list, (c) => universeIndex.get(c.id)!)
    return { list, hint: { universe: uix, server: Float64Array.from(list, (c) => c.score ?? 0) }, targetAt: list.findIndex((c) => c.id === target) }
  }
  const fullListOf = (u: UserSplit, phase: Phase, target: string): CaseList => {
    const order = orders.get(phase)!
    const ti = universeIndex.get(target)!
    for (const id of u.interacted) excluded[universeIndex.get(id)!] = 1
    excluded[ti] = 0
    const uix = new Int32Array(order.length - u.interacted.size + 1)
    let k = 0
    let at = -1
    for (let r = 0; r < order.length; r++) {
      const i = order[r]!
      if (excluded[i]) continue
      if (i === ti) at = k
      uix[k++] = i
    }
    for (const id of u.interacted) excluded[universeIndex.get(id)!] = 0
    const list = new Array<Candidate>(k)
    const server = new Float64Array(k)
    for (let q = 0; q < k; q++) {
      list[q] = allCands[uix[q]!]!
      server[q] = serverOfUniverse[uix[q]!]!
    }
    return { list, hint: { universe: k === uix.length ? uix : uix.subarray(0, k), server }, targetAt: at }
  }

  let done = 0
  const total = n * models.length
  for (let ui = 0; ui < n; ui++) {
    const u = users[ui]!
    const lists = new Map<string, CaseList>()
    for (const phase of opts.phases)
      for (const protocol of opts.protocols) {
        if (protocol === 'full') {
          if (!inFull[ui]) continue
          const held = phase === 'val' ? u.val! : u.test!
          lists.set(`${protocol}|${phase}`, fullListOf(u, phase, held.itemId))
          continue
        }
        const c = caseFor(ctx.split, u, phase, protocol, ctx.seed, { negatives })
        if (c) lists.set(`${protocol}|${phase}`, listOf(c.ids, c.target))
      }
    for (let mi = 0; mi < models.length; mi++) {
      const m = models[mi]!
      const score = async (s: UserSession, phase: Phase) => {
        for (const protocol of opts.protocols) {
          const l = lists.get(`${protocol}|${phase}`)
          if (!l) continue
          const held = phase === 'val' ? u.val! : u.test!
          const t = performance.now()
          const scores = await s.score(l.list, held.event.timestamp, l.hint)
          const cell = cellOf.get(`${m.name}|${protocol}|${phase}`)!
          cell.scoreMs += performance.now() - t
          record(cell, ui, l, scores)
        }
      }
      const replay = (s: UserSession, from: number, to: number) => {
        const t = performance.now()
        for (let k = from; k < to; k++) s.add(u.events[k]!)
        replayMs[m.name]! += performance.now() - t
      }
      const ret = opts.retention
      if (ret) {
        // A fresh session per phase, holding what the store would still hold at that time.
        for (const phase of opts.phases) {
          const held = phase === 'val' ? u.val! : u.test!
          let from = Math.max(0, held.index - ret.maxEvents)
          while (from < held.index && u.events[from]!.timestamp < held.event.timestamp - ret.maxAgeMs) from++
          const s = scorers[mi]!.session(u)
          replay(s, from, held.index)
          await score(s, phase)
        }
      } else {
        const s: UserSession = scorers[mi]!.session(u)
        replay(s, 0, u.val!.index)
        if (opts.phases.includes('val')) await score(s, 'val')
        if (opts.phases.includes('test')) {
          replay(s, u.val!.index, u.test!.index)
          await score(s, 'test')
        }
      }
      done++
      opts.onProgress?.(done, total, m.name)
    }
  }
  for (const c of cellOf.values()) {
    const j = c.count
    c.users = Int32Array.from(c.idx)
    for (const k of CUTOFFS) {
      c.hr[k] = c.hr[k]!.slice(0, j)
      c.ndcg[k] = c.ndcg[k]!.slice(0, j)
    }
    c.mrr = c.mrr.slice(0, j)
    c.ild = c.ild.slice(0, j)
    delete (c as Partial<typeof c>).count
    delete (c as Partial<typeof c>).idx
  }
  return { users, cells, replayMs, wallMs: performance.now() - t0 }
}

const ORDER = ['id', 'title', 'category', 'brand', 'price'] as const

/**
 * The candidate the server sends for an item: its fields and `score`, built key by key in one
 * order. Not `{ ...item, score }`: the loaders' item objects spread into slow (dictionary-mode)
 * objects, and reading `score` from 72,000 of them per list took 0.5–2 µs a read (16× a plain
 * object, measured), which dominated full ranking at shop scale.
 */
export function candidateFrom(item: Item, score: number): Candidate {
  const c: Record<string, unknown> = {}
  const src = item as unknown as Record<string, unknown>
  for (const k of ORDER) if (src[k] !== undefined) c[k] = src[k]
  for (const k of Object.keys(src)) if (!(ORDER as readonly string[]).includes(k)) c[k] = src[k]
  c.score = score
  return c as unknown as Candidate
}

/**
 * Which users get a full list: the `k` whose key FNV-1a(seed, user) is smallest, so the choice
 * is seeded, does not depend on the users' order, and a larger `k` keeps the smaller sample's users.
 */
export function fullSample(users: ReadonlyArray<string>, k: number, seed: number): Uint8Array {
  const out = new Uint8Array(users.length)
  if (k >= users.length) return out.fill(1)
  const keys = users.map((u, i) => [fnv1a(`${seed}\u0000full-sample\u0000${u}`), i] as const)
  keys.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  for (let j = 0; j < k; j++) out[keys[j]![1]] = 1
  return out
}

/** One scored list: the candidates in server order, their universe indices, where the target is. */
interface CaseList {
  list: Candidate[]
  hint: ListHint
  targetAt: number
}

export interface MetricSummary {
  [metric: string]: Interval
}

export interface CellSummary {
  model: string
  protocol: EvalProtocol
  phase: Phase
  users: number
  metrics: MetricSummary
  scoreMs: number
}

/**
 * Means with 95% bootstrap intervals (paired resamples shared by every cell of the same users:
 * a shop protocol's cells, whose users are a subset, share resamples of that subset's size).
 */
export function summarise(result: RunResult, catalogueSize: number, bootAll: Bootstrap): CellSummary[] {
  // A protocol no user has a target for (cart on MovieLens: no carts) gets no row, not zeros.
  return result.cells
    .filter((c) => c.mrr.length > 0)
    .map((c) => {
      const boot = bootAll.resized(c.mrr.length)
      const metrics: MetricSummary = {}
      for (const k of CUTOFFS) metrics[`HR@${k}`] = boot.mean(c.hr[k]!)
      for (const k of CUTOFFS) metrics[`NDCG@${k}`] = boot.mean(c.ndcg[k]!)
      metrics.MRR = boot.mean(c.mrr)
      metrics[`Coverage@${LIST_K}`] = coverageInterval(boot, c.top, catalogueSize)
      metrics[`ILD@${LIST_K}`] = boot.mean(c.ild)
      return { model: c.model, protocol: c.protocol, phase: c.phase, users: c.mrr.length, metrics, scoreMs: c.scoreMs }
    })
}
