import type { KernelName } from '../../interest/types'
import type { Dataset } from '../data/types'
import { leaveOneOut, type Split } from '../protocol/split'
import { DEFAULT_PROFILE_CONFIG } from '../../interest'
import { createContext, type BuiltContext } from './context'
import { profileModel } from './models/profile'
import { GRIDS, getDim, keyOf, modelOptionsOf, setDim, type Dim, type TunePoint } from './params'
import { runEvaluation } from './run'
import type { Phase } from '../protocol/candidates'

/**
 * Decay tuning on VALIDATION items only (uniform-100 candidates, NDCG@10 objective).
 * Test items are never scored while choosing; they are scored afterwards, for the report,
 * only at the points already chosen and along the plotted kernel sweeps.
 *
 * Search: coordinate descent (Wright 2015, "Coordinate descent algorithms"): sweep one
 * parameter's grid at a time holding the others, move to the best value when it improves
 * the objective by more than `minGain`, repeat passes until a pass moves nothing. With
 * ~20 parameters and 4–12 values each, a pass costs ~130 evaluations, a full grid would
 * cost ~10^16. Similarity tables over the size budget are not evaluated.
 */
export interface TuneOptions {
  seed: number
  limitUsers?: number
  /** Largest shipped similarity JSON, bytes. */
  budgetBytes: number
  maxPasses: number
  /** Smallest val NDCG@10 gain that moves a coordinate (guards against chasing noise). */
  minGain: number
  onStep?: (line: string) => void
}

export const DEFAULT_TUNE: Omit<TuneOptions, 'seed'> = { budgetBytes: 1_500_000, maxPasses: 3, minGain: 0.0005 }

export interface Score {
  ndcg10: number
  hr10: number
}

export interface TraceStep {
  stage: string
  pass: number
  dim: Dim
  /** Every value tried with its val NDCG@10 (null: over the size budget). */
  tried: Array<{ value: unknown; ndcg10: number | null; hr10: number | null }>
  chosen: unknown
  ndcg10: number
}

export interface SweepPoint {
  tau: number
  val: Score
  test: Score
}

export interface TuneResult {
  best: TunePoint
  bestScore: Score
  perKernel: Record<string, { point: TunePoint; val: Score }>
  decayOff: { point: TunePoint; val: Score }
  trace: TraceStep[]
  sweeps: Record<string, SweepPoint[]>
  evaluations: number
  ms: number
  bytes: number
}

const SIM_DIMS: Dim[] = ['sim.window', 'sim.distanceExponent', 'sim.future', 'sim.gapHalfLifeMs', 'sim.alpha', 'sim.shrink', 'sim.k', 'sim.minCount', 'sim.symmetric']
const PROFILE_DIMS: Dim[] = ['longTau', 'shortTau', 'gate.bias', 'gate.slope', 'category', 'profileWeight', 'serverTransform']
export const KERNELS: KernelName[] = ['exponential', 'linear', 'window', 'power']

export class Tuner {
  private readonly cache = new Map<string, Score | null>()
  private readonly contexts = new Map<string, BuiltContext>()
  private readonly base: BuiltContext
  evaluations = 0

  constructor(
    readonly dataset: Dataset,
    readonly split: Split,
    readonly opts: TuneOptions,
  ) {
    this.base = createContext(dataset, { seed: opts.seed }, split)
  }

  /** The context (and similarity artifact) of a point's similarity options; a few are kept. */
  contextFor(p: TunePoint): BuiltContext {
    const key = keyOf({ ...p, kernel: 'none', longTau: 0, shortTau: 0, powerExponent: 0, gate: { bias: 0, slope: 0 }, category: 0, profileWeight: 0, serverTransform: 'rank' })
    let ctx = this.contexts.get(key)
    if (!ctx) {
      if (this.contexts.size >= 4) this.contexts.delete(this.contexts.keys().next().value!)
      ctx = createContext(this.dataset, { seed: this.opts.seed, similarity: p.sim, train: this.base.train() }, this.split)
      this.contexts.set(key, ctx)
    }
    return ctx
  }

  async score(p: TunePoint, phase: Phase = 'val'): Promise<Score | null> {
    const key = `${phase}|${keyOf(p)}`
    if (this.cache.has(key)) return this.cache.get(key)!
    const ctx = this.contextFor(p)
    if (ctx.artifact().bytes > this.opts.budgetBytes) {
      this.cache.set(key, null)
      return null
    }
    this.evaluations++
    const model = profileModel(modelOptionsOf(p, 'tune', 'tuning point'))
    const run = await runEvaluation(ctx, [model], { protocols: ['uniform'], phases: [phase], limitUsers: this.opts.limitUsers })
    const cell = run.cells[0]!
    const mean = (a: Float64Array) => a.reduce((s, x) => s + x, 0) / (a.length || 1)
    const s = { ndcg10: mean(cell.ndcg[10]!), hr10: mean(cell.hr[10]!) }
    this.cache.set(key, s)
    return s
  }

  /** Coordinate descent over `dims` from `start`. */
  async descend(start: TunePoint, dims: Dim[], stage: string, trace: TraceStep[]): Promise<{ point: TunePoint; score: Score }> {
    let cur = start
    const first = await this.score(cur)
    if (!first) throw new Error(`${stage}: the starting point's similarity table is over the ${this.opts.budgetBytes}-byte budget`)
    let curScore: Score = first
    for (let pass = 1; pass <= this.opts.maxPasses; pass++) {
      let moved = false
      for (const dim of dims) {
        const tried: TraceStep['tried'] = []
        let best: TunePoint = cur
        let bestScore: Score = curScore
        for (const v of GRIDS[dim] as ReadonlyArray<unknown>) {
          const q = setDim(cur, dim, v)
          const s = await this.score(q)
          tried.push({ value: v, ndcg10: s?.ndcg10 ?? null, hr10: s?.hr10 ?? null })
          if (s && s.ndcg10 > bestScore.ndcg10) {
            best = q
            bestScore = s
          }
        }
        // Move only for a real gain: ties and noise-sized gains keep the current value.
        if (bestScore.ndcg10 > curScore.ndcg10 + this.opts.minGain) {
          moved = true
          cur = best
          curScore = bestScore
        }
        trace.push({ stage, pass, dim, tried, chosen: getDim(cur, dim), ndcg10: curScore.ndcg10 })
        this.opts.onStep?.(`${stage} pass ${pass} ${dim} = ${String(getDim(cur, dim))}: val NDCG@10 ${curScore.ndcg10.toFixed(4)} (${this.evaluations} evaluations)`)
      }
      if (!moved) break
    }
    return { point: cur, score: curScore }
  }

  /**
   * The whole search: similarity and profile jointly with the exponential kernel, then each
   * other kernel's own time scales (and the power exponent) from that point, then the best
   * kernel on validation; finally the τ sweep of each kernel (val and test) for the plot.
   */
  async run(start: TunePoint): Promise<TuneResult> {
    const t0 = performance.now()
    const trace: TraceStep[] = []
    const joint = await this.descend({ ...start, kernel: 'exponential' }, [...PROFILE_DIMS, ...SIM_DIMS], 'joint (exponential)', trace)
    const perKernel: TuneResult['perKernel'] = { exponential: { point: joint.point, val: joint.score } }
    for (const k of KERNELS) {
      if (k === 'exponential') continue
      const dims: Dim[] = k === 'power' ? ['longTau', 'shortTau', 'powerExponent', 'gate.bias'] : ['longTau', 'shortTau', 'gate.bias']
      const r = await this.descend({ ...joint.point, kernel: k }, dims, k, trace)
      perKernel[k] = { point: r.point, val: r.score }
    }
    let bestK = 'exponential'
    for (const k of KERNELS) if (perKernel[k]!.val.ndcg10 > perKernel[bestK]!.val.ndcg10) bestK = k
    const best = perKernel[bestK]!.point
    const offPoint: TunePoint = { ...best, kernel: 'none' }
    const decayOff = { point: offPoint, val: (await this.score(offPoint))! }
    const sweeps: TuneResult['sweeps'] = {}
    for (const k of KERNELS) {
      const pts: SweepPoint[] = []
      for (const tau of GRIDS.longTau) {
        const q = { ...perKernel[k]!.point, longTau: tau }
        const val = (await this.score(q, 'val'))!
        const test = (await this.score(q, 'test'))!
        pts.push({ tau, val, test })
      }
      sweeps[k] = pts
      this.opts.onStep?.(`sweep ${k}: ${pts.map((p) => p.val.ndcg10.toFixed(3)).join(' ')}`)
    }
    return {
      best,
      bestScore: perKernel[bestK]!.val,
      perKernel,
      decayOff,
      trace,
      sweeps,
      evaluations: this.evaluations,
      ms: performance.now() - t0,
      bytes: this.contextFor(best).artifact().bytes,
    }
  }
}

/**
 * Event weights, on the graded mapping (rating ≥ 4 → add_to_wishlist, else view_item): the
 * implicit protocol has one event type, so its weights cannot be tuned there. Validation
 * picks the weight; test is reported beside it for information.
 */
export async function eventWeightSweep(
  graded: Dataset,
  point: TunePoint,
  seed: number,
  limitUsers: number | undefined,
  onStep?: (l: string) => void,
): Promise<Array<{ weight: number; val: number; test: number }>> {
  const split = leaveOneOut(graded)
  const ctx = createContext(graded, { seed, similarity: point.sim }, split)
  const out: Array<{ weight: number; val: number; test: number }> = []
  for (const w of [0.5, 1, 1.5, 2, 3, 5]) {
    const base = modelOptionsOf(point, `wishlist-${w}`, 'event weight sweep')
    const model = profileModel({ ...base, profile: { ...base.profile, eventWeights: { ...DEFAULT_PROFILE_CONFIG.eventWeights, view_item: 1, add_to_wishlist: w } } })
    const run = await runEvaluation(ctx, [model], { protocols: ['uniform'], phases: ['val', 'test'], ...(limitUsers !== undefined ? { limitUsers } : {}) })
    const m = (ph: Phase) => {
      const a = run.cells.find((c) => c.phase === ph)!.ndcg[10]!
      return a.reduce((s, x) => s + x, 0) / (a.length || 1)
    }
    out.push({ weight: w, val: m('val'), test: m('test') })
    onStep?.(`event weight add_to_wishlist = ${w}: val NDCG@10 ${m('val').toFixed(4)}`)
  }
  return out
}
