import { Cooccurrence } from '../similarity/cooccurrence'
import { buildSimilarityArtifact, type ArtifactOptions, type SimilarityArtifact } from '../similarity/artifact'
import { trainingData, type TrainingData } from '../similarity/training'
import type { Dataset } from '../data/types'
import { leaveOneOut, type Split } from '../protocol/split'
import type { EvalContext } from './types'

export interface ContextOptions {
  seed: number
  similarity?: Partial<ArtifactOptions>
  /** Reuse training data already built for this split (the tuner builds many tables from one). */
  train?: TrainingData
}

export interface BuiltContext extends EvalContext {
  /** The artifact, once built. */
  artifact(): SimilarityArtifact
  /** Milliseconds spent building each artifact (for the report). */
  timings: Record<string, number>
}

export function createContext(dataset: Dataset, opts: ContextOptions, split: Split = leaveOneOut(dataset)): BuiltContext {
  let train: TrainingData | undefined = opts.train
  let art: SimilarityArtifact | undefined
  let co: Cooccurrence | undefined
  const timings: Record<string, number> = {}
  const timed = <T>(name: string, f: () => T): T => {
    const t = performance.now()
    const v = f()
    timings[name] = (timings[name] ?? 0) + performance.now() - t
    return v
  }
  const ctx: BuiltContext = {
    dataset,
    split,
    seed: opts.seed,
    timings,
    train: () => (train ??= timed('training data', () => trainingData(split))),
    artifact: () =>
      (art ??= timed('similarity table', () =>
        buildSimilarityArtifact(ctx.train(), opts.similarity, {
          source: dataset.name,
          built: 'training interactions only (events before each user\u2019s validation item)',
        }),
      )),
    similarity: () => ctx.artifact().table,
    cooccurrence: () => (co ??= timed('co-occurrence', () => new Cooccurrence(ctx.train()))),
    popularity: (id) => split.trainPopularity.get(id) ?? 0,
  }
  return ctx
}
