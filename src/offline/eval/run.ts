import type { Item } from '../../events/types'
import type { Candidate } from '../../rank/types'
import { Bootstrap, coverageInterval, type Interval } from '../metrics/bootstrap'
import { hitAt, intraListDiversity, ndcgAt, rankInfo, reciprocalRank, topK, type TieMode } from '../metrics/rank'
import { candidatesFor, DEFAULT_NEGATIVES, type Phase, type ProtocolName } from '../protocol/candidates'
import type { UserSplit } from '../protocol/split'
import type { EvalContext, ModelSpec, Scorer, UserSession } from './types'

export const CUTOFFS = [5, 10, 20] as const
/** K of coverage@K and diversity@K. */
export const LIST_K = 10

export interface RunOptions {
  protocols: ProtocolName[]
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
  onProgress?: (done: number, total: number, label: string) => void
}

/** Per-user figures of one (model, protocol, phase). */
export interface Cell {
  model: string
  protocol: ProtocolName
  phase: Phase
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
 * Replays each evaluated user through every model: events before the validation item,
 * then (phase val) the validation lists scored at the validation event's time, then the
 * events up to the test item, then (phase test) the test lists at the test event's time.
 * Candidate lists are drawn once per (user, phase, protocol) and shared by all models.
 */
export async function runEvaluation(ctx: EvalContext, models: ReadonlyArray<ModelSpec>, opts: RunOptions): Promise<RunResult> {
  const t0 = performance.now()
  const ties = opts.ties ?? 'expected'
  const negatives = opts.negatives ?? DEFAULT_NEGATIVES
  let users = ctx.split.users.filter((u) => u.test && u.val)
  if (opts.limitUsers !== undefined) users = users.slice(0, opts.limitUsers)
  const n = users.length
  const universeIndex = new Map<string, number>()
  ctx.split.universe.forEach((id, i) => universeIndex.set(id, i))
  const candCache = new Map<string, Candidate>()
  const candidateOf = (id: string): Candidate => {
    let c = candCache.get(id)
    if (!c) {
      const item: Item = ctx.dataset.items.get(id) ?? { id }
      c = { ...item, score: ctx.popularity(id) }
      candCache.set(id, c)
    }
    return c
  }
  const labelsOf = (id: string): string[] => ctx.dataset.meta.get(id)?.labels ?? []

  const scorers: Scorer[] = models.map((m) => m.create(ctx))
  const cells: Cell[] = []
  const cellOf = new Map<string, Cell>()
  for (const m of models)
    for (const phase of opts.phases)
      for (const protocol of opts.protocols) {
        const c: Cell = {
          model: m.name,
          protocol,
          phase,
          hr: Object.fromEntries(CUTOFFS.map((k) => [k, new Float64Array(n)])),
          ndcg: Object.fromEntries(CUTOFFS.map((k) => [k, new Float64Array(n)])),
          mrr: new Float64Array(n),
          ild: new Float64Array(n),
          top: new Array<Int32Array>(n),
          scoreMs: 0,
        }
        cells.push(c)
        cellOf.set(`${m.name}|${protocol}|${phase}`, c)
      }
  const replayMs: Record<string, number> = Object.fromEntries(models.map((m) => [m.name, 0]))

  const record = (cell: Cell, ui: number, list: Candidate[], scores: Float64Array, target: string) => {
    if (scores.length !== list.length) throw new Error(`model ${cell.model} returned ${scores.length} scores for ${list.length} candidates`)
    const ti = list.findIndex((c) => c.id === target)
    const r = rankInfo(scores, ti)
    for (const k of CUTOFFS) {
      cell.hr[k]![ui] = hitAt(r, k, ties)
      cell.ndcg[k]![ui] = ndcgAt(r, k, ties)
    }
    cell.mrr[ui] = reciprocalRank(r, ties)
    const top = topK(scores, LIST_K).map((i) => list[i]!.id)
    cell.top[ui] = Int32Array.from(top, (id) => universeIndex.get(id)!)
    cell.ild[ui] = intraListDiversity(top.map(labelsOf))
  }

  let done = 0
  const total = n * models.length
  for (let ui = 0; ui < n; ui++) {
    const u = users[ui]!
    const lists = new Map<string, { list: Candidate[]; target: string }>()
    for (const phase of opts.phases)
      for (const protocol of opts.protocols) {
        const c = candidatesFor(ctx.split, u, phase, protocol, ctx.seed, negatives)!
        lists.set(`${protocol}|${phase}`, { list: serverList(c.ids, candidateOf), target: c.target })
      }
    for (let mi = 0; mi < models.length; mi++) {
      const m = models[mi]!
      const score = async (s: UserSession, phase: Phase) => {
        for (const protocol of opts.protocols) {
          const { list, target } = lists.get(`${protocol}|${phase}`)!
          const held = phase === 'val' ? u.val! : u.test!
          const t = performance.now()
          const scores = await s.score(list, held.event.timestamp)
          const cell = cellOf.get(`${m.name}|${protocol}|${phase}`)!
          cell.scoreMs += performance.now() - t
          record(cell, ui, list, scores, target)
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
  return { users, cells, replayMs, wallMs: performance.now() - t0 }
}

export interface MetricSummary {
  [metric: string]: Interval
}

export interface CellSummary {
  model: string
  protocol: ProtocolName
  phase: Phase
  users: number
  metrics: MetricSummary
  scoreMs: number
}

/** Means with 95% bootstrap intervals (paired resamples shared by every cell). */
export function summarise(result: RunResult, catalogueSize: number, boot: Bootstrap): CellSummary[] {
  return result.cells.map((c) => {
    const metrics: MetricSummary = {}
    for (const k of CUTOFFS) metrics[`HR@${k}`] = boot.mean(c.hr[k]!)
    for (const k of CUTOFFS) metrics[`NDCG@${k}`] = boot.mean(c.ndcg[k]!)
    metrics.MRR = boot.mean(c.mrr)
    metrics[`Coverage@${LIST_K}`] = coverageInterval(boot, c.top, catalogueSize)
    metrics[`ILD@${LIST_K}`] = boot.mean(c.ild)
    return { model: c.model, protocol: c.protocol, phase: c.phase, users: c.mrr.length, metrics, scoreMs: c.scoreMs }
  })
}
