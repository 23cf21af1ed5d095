import { DEFAULT_RANKER_CONFIG, type FusionWeights, type RankerConfig } from '../../rank/defaults'
import type { TunedOptions } from '../../tuned/format'
import { EncoderScoreCache, encoderModel } from '../eval/models/encoder'
import type { ModelSpec } from '../eval/types'
import type { ObjectiveScore, ValidationLists } from './objective'
import type { SearchProgress, TraceStep } from './tuner'

/**
 * Tuning the encoder's fusion weight (`npm run tune -- --encoder DIR`). The ranker adds
 * per-list standardised signals, final = server·ẑ_server + profile·ẑ_profile + encoder·ẑ_encoder
 * (src/rank/ranker.ts), so with the profile's own parameters fixed only the three weights move,
 * and the encoder's scores of a validation list do not depend on them: they are computed once
 * (EncoderScoreCache) and every point is then ranked by the browser's ranker, through the same
 * evaluator row (`encoderModel` with the profile) that `npm run eval -- --config FILE` measures.
 *
 * Only the encoder's weight moves: the server's and the profile's stay as the profile was tuned,
 * so the same file, when the encoder is not ready, broken or late (the ranker then uses the
 * profile alone), ranks exactly as the tuned profile. The weights are scale-free (each signal is
 * standardised), so the encoder's weight against the other two is the whole question.
 *
 * The search starts at encoder weight 0, which ranks exactly as the tuned profile alone, so the
 * result is never below the tuned profile on the validation lists.
 */
export const FUSION_GRIDS: Pick<Record<keyof FusionWeights, ReadonlyArray<number>>, 'encoder'> = {
  encoder: [0, 0.25, 0.5, 1, 1.5, 2, 3, 5, 7, 10, 15, 20, 30, 50, 100, 1000],
}

const ORDER: ReadonlyArray<keyof typeof FUSION_GRIDS> = ['encoder']

export interface FusionSearchOptions {
  maxPasses: number
  minGain: number
  /** Give the profile the similarity table (as the profile was tuned). */
  similarity: boolean
  onProgress?: (p: SearchProgress) => void
}

export interface FusionResult {
  start: { weights: FusionWeights; score: ObjectiveScore }
  best: { weights: FusionWeights; score: ObjectiveScore }
  trace: TraceStep[]
  evaluations: number
  passes: number
  seconds: number
  /** Lists the encoder actually scored (each once; every other point reused them). */
  encoderLists: number
}

/** The tuned options with these fusion weights (everything else as tuned). */
export function withWeights(base: TunedOptions, w: FusionWeights): TunedOptions {
  return { profile: base.profile, ranker: { ...base.ranker, weights: { server: w.server, profile: w.profile, encoder: w.encoder } } }
}

/** The evaluator's encoder + profile row with these options (the `encoder+profile-tuned` row of `npm run eval -- --config`). */
export function fusedModel(dir: string, o: TunedOptions, similarity: boolean, scoreCache?: EncoderScoreCache): ModelSpec {
  return encoderModel({
    name: 'encoder+profile-tuned',
    description: 'tuning point',
    dir,
    withProfile: true,
    profile: o.profile,
    ranker: o.ranker as Partial<RankerConfig>,
    similarity,
    ...(scoreCache ? { scoreCache } : {}),
  })
}

export async function tuneFusion(lists: ValidationLists, base: TunedOptions, dir: string, opts: FusionSearchOptions): Promise<FusionResult> {
  const t0 = performance.now()
  const cache = new EncoderScoreCache()
  const scored = new Map<string, ObjectiveScore>()
  let evaluations = 0
  let evalMs = 0
  const score = async (w: FusionWeights): Promise<ObjectiveScore> => {
    const k = JSON.stringify([w.server, w.profile, w.encoder])
    const hit = scored.get(k)
    if (hit) return hit
    const t = performance.now()
    const s = await lists.score(fusedModel(dir, withWeights(base, w), opts.similarity, cache))
    evalMs += performance.now() - t
    evaluations++
    scored.set(k, s)
    return s
  }
  // Written out whole, as the tuner writes every weight (a file that kept the library defaults has none).
  const bw = { ...DEFAULT_RANKER_CONFIG.weights, ...base.ranker.weights }
  const start: FusionWeights = { server: bw.server, profile: bw.profile, encoder: 0 }
  const startScore = await score(start)
  let cur = start
  let curScore = startScore
  const trace: TraceStep[] = []
  let passes = 0
  const planned = ORDER.reduce((n, k) => n + FUSION_GRIDS[k].length, 0)
  for (let pass = 1; pass <= opts.maxPasses; pass++) {
    passes = pass
    let moved = false
    let done = 0
    for (const k of ORDER) {
      const tried: TraceStep['tried'] = []
      let best = cur
      let bestScore = curScore
      for (const v of FUSION_GRIDS[k]) {
        const q = { ...cur, [k]: v }
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
          dim: `ranker.weights.${k}`,
          done,
          planned,
          evaluations,
          best: Math.max(bestScore.value, curScore.value),
          etaPassS: (planned - done) * mean,
          elapsedS: (performance.now() - t0) / 1000,
        })
      }
      if (bestScore.value > curScore.value + opts.minGain) {
        moved = true
        cur = best
        curScore = bestScore
      }
      trace.push({ pass, dim: `ranker.weights.${k}`, tried, chosen: cur[k], objective: curScore.value })
    }
    if (!moved) break
  }
  return { start: { weights: start, score: startScore }, best: { weights: cur, score: curScore }, trace, evaluations, passes, seconds: (performance.now() - t0) / 1000, encoderLists: cache.size }
}
