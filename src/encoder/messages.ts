import type { BackendName, LoadProgress } from '../engine/types'
import type { LocalRankErrorCode, LocalRankErrorContext } from '../errors'
import type { StoredEvent } from '../events/types'
import type { SessionStats } from './session'

/** Messages between the page-side handle (client.ts) and the encoder worker (worker.ts). */
export type ToWorker =
  | { type: 'init'; model: string; sha256?: string; backend?: BackendName }
  | { type: 'history'; events: StoredEvent[] }
  | { type: 'append'; event: StoredEvent }
  /**
   * Candidates travel as one JSON string of `Item`s: for 2,000 candidates, JSON.stringify costs
   * the page ~1 ms where structured-cloning the objects cost ~4 ms of main-thread time.
   */
  | { type: 'score'; id: number; candidates: string; now: number }
  /**
   * The page gave up on score request `id` (its rerank's deadline passed, or it was aborted).
   * The worker drops it if it has not started it yet, so missed deadlines do not pile up work.
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
  | { type: 'ready'; backend: BackendName; reason: string }
  | { type: 'error'; error: WireError }
  | { type: 'scores'; id: number; scores: Float32Array | null; error?: WireError }
  | { type: 'stats'; id: number; stats: WorkerStats }
