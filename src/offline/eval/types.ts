import type { StoredEvent } from '../../events/types'
import type { SimilarityTable } from '../../interest/types'
import type { Candidate } from '../../rank/types'
import type { Dataset } from '../data/types'
import type { Split, UserSplit } from '../protocol/split'
import type { Cooccurrence } from '../similarity/cooccurrence'
import type { TrainingData } from '../similarity/training'
import type { ArtifactOptions } from '../similarity/artifact'
import type { CatalogueColumns } from './full'

/**
 * What a model sees while it is evaluated: the dataset, the split, the training
 * interactions and the offline artifacts built from them (never from validation or test
 * items). Artifacts are built lazily, only when a model asks for them.
 */
export interface EvalContext {
  dataset: Dataset
  split: Split
  seed: number
  train(): TrainingData
  /**
   * The item-to-item table as the browser loads it (serialised and parsed back), built with the
   * context's options, or with `opts` over them (cached per options).
   */
  similarity(opts?: Partial<ArtifactOptions>): SimilarityTable
  /** Columns of the universe's items (category path, brand, price), for whole-catalogue scoring (full.ts). */
  catalogue(): CatalogueColumns
  cooccurrence(): Cooccurrence
  /** Train-set interaction count of an item (the server score of the protocol). */
  popularity(itemId: string): number
}

/**
 * One shopper, replayed. The evaluator calls `add` with the user's events in time order,
 * exactly as the browser's `track()` would have stored them, and `score` at the time of
 * the event being predicted, with the server's list (popularity order, `score` =
 * popularity). Scores are aligned with `candidates`; higher is better.
 * An encoder model may answer asynchronously.
 */
export interface UserSession {
  add(event: StoredEvent): void
  score(candidates: ReadonlyArray<Candidate>, now: number, hint?: ListHint): Float64Array | Promise<Float64Array>
}

/**
 * What the runner knows about a list beyond the candidates: `universe[i]` is the index of
 * `candidates[i]` in `split.universe` (and in `train().items`, the same order). A model may use
 * it to score a full-catalogue list (100,000+ items) with array lookups instead of a map
 * lookup per candidate; it must give the same scores as without it.
 */
export interface ListHint {
  universe: Int32Array
  /**
   * `candidates[i].score` (the server's score: train-set popularity), as a column. Reading a
   * property of 100,000 candidate objects of mixed shapes (with and without brand, price…) is a
   * megamorphic load per item, ~11% of a shop-scale full-ranking run when two baselines did it
   * twice per list; a typed column read is not.
   */
  server: Float64Array
}

export interface Scorer {
  session(user: UserSplit): UserSession
}

/**
 * A model in the registry (models/index.ts). `create` runs once per evaluation run.
 * To add one (e.g. `--model encoder`): write `models/encoder.ts` exporting a `ModelSpec`
 * and register it in `models/index.ts`.
 */
export interface ModelSpec {
  name: string
  /** One line for the report. */
  description: string
  /** 'baseline' rows and 'profile' rows are grouped in the report. */
  group: 'baseline' | 'profile' | 'encoder'
  create(ctx: EvalContext): Scorer
  /**
   * Why the model cannot run here (e.g. its artifact is missing, or, given the context, it was
   * trained on another catalogue), or null. `--model all`
   * skips such models with a warning; naming one explicitly is an error with this reason.
   */
  unavailable?(ctx?: EvalContext): string | null
  /** Parameters worth printing in the report (JSON-serialisable). */
  params?: Record<string, unknown>
}
