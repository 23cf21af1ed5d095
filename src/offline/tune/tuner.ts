import type { RankerConfig } from '../../rank/defaults'
import { profileModel } from '../eval/models/profile'
import type { ObjectiveScore, ValidationLists } from './objective'
import { defaultPoint, keyOf, optionsOf, type Dim, type TunePoint } from './space'

/**
 * Coordinate descent (Wright 2015, "Coordinate descent algorithms"), as the evaluator's
 * tuner does (src/offline/eval/tune.ts): sweep one coordinate's grid holding the others, move
 * to its best value when that beats the current objective by more than `minGain`, and repeat
 * passes until one moves nothing (or `maxPasses`). It starts at the library defaults, so the
 * result is never below them on the validation lists. Each point is scored once (cached).
 */
export interface SearchOptions {
  maxPasses: number
  /** Smallest objective gain that moves a coordinate (guards against chasing noise). */
  minGain: number
  /** Use the similarity table while scoring (the shop ships one). */
  similarity: boolean
  onProgress?: (p: SearchProgress) => void
}

export const DEFAULT_SEARCH: Omit<SearchOptions, 'similarity'> = { maxPasses: 3, minGain: 0.0005 }

export interface SearchProgress {
  pass: number
  maxPasses: number
  dim: string
  /** Evaluations done in this pass / planned for a full pass. */
  done: number
  planned: number
  evaluations: number
  best: number
  /** Seconds left in this pass at the mean time per evaluation so far (later passes: at most the same each). */
  etaPassS: number
  elapsedS: number
}

export interface TraceStep {
  pass: number
  dim: string
  tried: Array<{ value: number | string; objective: number }>
  chosen: number | string
  objective: number
}

export interface SearchResult {
  start: { point: TunePoint; score: ObjectiveScore }
  best: { point: TunePoint; score: ObjectiveScore }
  trace: TraceStep[]
  evaluations: number
  passes: number
  seconds: number
}

export async function coordinateDescent(lists: ValidationLists, dims: ReadonlyArray<Dim>, opts: SearchOptions): Promise<SearchResult> {
  const t0 = performance.now()
  const cache = new Map<string, ObjectiveScore>()
  let evaluations = 0
  let evalMs = 0
  const score = async (p: TunePoint): Promise<ObjectiveScore> => {
    const k = keyOf(p)
    const hit = cache.get(k)
    if (hit) return hit
    const t = performance.now()
    const o = optionsOf(p)
    const s = await lists.score(profileModel({ name: 'tune', description: 'tuning point', profile: o.profile, ranker: o.ranker as Partial<RankerConfig>, similarity: opts.similarity }))
    evalMs += performance.now() - t
    evaluations++
    cache.set(k, s)
    return s
  }
  const start = defaultPoint()
  const startScore = await score(start)
  let cur = start
  let curScore = startScore
  const trace: TraceStep[] = []
  let passes = 0
  for (let pass = 1; pass <= opts.maxPasses; pass++) {
    passes = pass
    let moved = false
    const planned = dims.reduce((n, d) => n + d.values.length, 0)
    let done = 0
    for (const dim of dims) {
      if (dim.idle?.(cur)) {
        done += dim.values.length
        continue
      }
      const tried: TraceStep['tried'] = []
      let best = cur
      let bestScore = curScore
      for (const v of dim.values) {
        const q = dim.set(cur, v)
        const s = await score(q)
        tried.push({ value: v, objective: s.value })
        if (s.value > bestScore.value) {
          best = q
          bestScore = s
        }
        done++
        const mean = evaluations > 0 ? evalMs / evaluations / 1000 : 0
        opts.onProgress?.({
          pass,
          maxPasses: opts.maxPasses,
          dim: dim.name,
          done,
          planned,
          evaluations,
          best: Math.max(bestScore.value, curScore.value),
          etaPassS: (planned - done) * mean,
          elapsedS: (performance.now() - t0) / 1000,
        })
      }
      // Move only for a real gain: ties and noise-sized gains keep the current value.
      if (bestScore.value > curScore.value + opts.minGain) {
        moved = true
        cur = best
        curScore = bestScore
      }
      trace.push({ pass, dim: dim.name, tried, chosen: dim.get(cur), objective: curScore.value })
    }
    if (!moved) break
  }
  return { start: { point: start, score: startScore }, best: { point: cur, score: curScore }, trace, evaluations, passes, seconds: (performance.now() - t0) / 1000 }
}
