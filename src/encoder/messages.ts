import type { BackendName, LoadProgress } from '../engine/types'
import type { LocalRankErrorCode, LocalRankErrorContext } from '../errors'
import type { StoredEvent } from '../events/types'
import type { SessionStats } from './session'

/** Messages between the page-side handle (client.ts) and the encoder worker (worker.ts). */
export type ToWorker =
  | { type: 'init'; model: string; sha256?: string; backend?: BackendName }
  /**
   * The history, or its newest part (history-tail.ts): `skipped` is the number of tokens in the
   * older events that were left on the page (0 or absent: `events` is all of it).
   */
  | { type: 'history'; events: StoredEvent[]; skipped?: number }
  | { type: 'append'; event: StoredEvent }
  /**
   * Candidates travel as item rows (issue 14): `rows[i]` is the row of candidate i in the
   * worker's item matrix (items.ts `putRow`), numbered by the page (client.ts `ItemRows`), and
   * `items` is a JSON string of `[row, Item]` pairs for the items this list is the first to
   * send (or sends changed), stored at their rows before the list is scored. A list of items
   * already sent is a 4-byte row each, transferred, where it used to be all of its JSON: for
   * 2,000 candidates JSON.stringify on the page and JSON.parse in the worker cost ~1–2 ms each.
   */
  | { type: 'score'; id: number; rows: Int32Array; items?: string; now: number }
  /**
   * The page gave up on score request `id` (its rerank's deadline passed, or it was aborted).
   * The worker does not score it if it has not started it yet, so missed deadlines do not pile
   * up work (its `items` are still stored: later lists name their rows).
   */
  | { type: 'cancel'; id: number }
  | { type: 'stats'; id: number }
  | { type: 'dispose' }

/** An error as it crosses the worker boundary (Error objects lose their class in structured clone). */
export interface WireError {
  name: string
  code: LocalRankErrorCode
  message: string
  context: LocalRankErrorContext
}

/** Progress without the error variant (errors travel as `error` messages). */
export type WireProgress = Exclude<LoadProgress, { status: 'error' }>

export interface WorkerStats {
  backend: BackendName | null
  numTensors: number
  numBytes: number
  session: SessionStats | null
  /** Milliseconds of the last encoder update (full or incremental) and of the last score. */
  lastEncodeMs: number
  lastEncodeKind: 'full' | 'incremental' | null
  lastScoreMs: number
  /** Score requests computed, and dropped because the page cancelled them before they started. */
  scoresRun: number
  scoresCancelled: number
}

export type FromWorker =
  | { type: 'progress'; progress: WireProgress }
  /** `contextTokens`: the model's maxLen, so the page sends only the history it can see (history-tail.ts). */
  | { type: 'ready'; backend: BackendName; reason: string; contextTokens: number }
  | { type: 'error'; error: WireError }
  | { type: 'scores'; id: number; scores: Float32Array | null; error?: WireError }
  | { type: 'stats'; id: number; stats: WorkerStats }
