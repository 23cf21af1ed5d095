import { Cooccurrence } from '../similarity/cooccurrence'
import { buildSimilarityArtifact, DEFAULT_ARTIFACT_OPTIONS, type ArtifactOptions, type SimilarityArtifact } from '../similarity/artifact'
import { trainingData, type TrainingData } from '../similarity/training'
import type { Dataset } from '../data/types'
import { leaveOneOut, type Split } from '../protocol/split'
import { setTitleTokenCacheLimit } from '../../interest/profile'
import { CatalogueColumns } from './full'
import type { EvalContext } from './types'

export interface ContextOptions {
  seed: number
  similarity?: Partial<ArtifactOptions>
  /** Reuse training data already built for this split (the tuner builds many tables from one). */
  train?: TrainingData
}

export interface BuiltContext extends EvalContext {
  /** The artifact, once built (`opts`: other options than the context's, built and cached separately). */
  artifact(opts?: Partial<ArtifactOptions>): SimilarityArtifact
  /** Milliseconds spent building each artifact (for the report). */
  timings: Record<string, number>
}

export function createContext(dataset: Dataset, opts: ContextOptions, split: Split = leaveOneOut(dataset)): BuiltContext {
  // One profile per shopper replays the same catalogue titles: keep each title's tokens once.
  setTitleTokenCacheLimit(Math.max(4096, dataset.items.size + 1))
  let train: TrainingData | undefined = opts.train
  const arts = new Map<string, SimilarityArtifact>()
  let co: Cooccurrence | undefined
  let cols: CatalogueColumns | undefined
  const key = (o: Partial<ArtifactOptions> | undefined) => JSON.stringify({ ...DEFAULT_ARTIFACT_OPTIONS, ...opts.similarity, ...o }, (_k, v: unknown) => (v === Infinity ? 'Inf' : v))
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
    artifact: (o) => {
      const k = key(o)
      let a = arts.get(k)
      if (!a) {
        a = timed('similarity table', () =>
          buildSimilarityArtifact(
            ctx.train(),
            { ...opts.similarity, ...o },
            {
              source: dataset.name,
              built: 'training interactions only (events before each user\u2019s validation item)',
            },
          ),
        )
        arts.set(k, a)
      }
      return a
    },
    similarity: (o) => ctx.artifact(o).table,
    catalogue: () => (cols ??= timed('catalogue columns', () => new CatalogueColumns(split.universe.map((id) => dataset.items.get(id) ?? { id })))),
    cooccurrence: () => (co ??= timed('co-occurrence', () => new Cooccurrence(ctx.train()))),
    popularity: (id) => split.trainPopularity.get(id) ?? 0,
  }
  return ctx
}
