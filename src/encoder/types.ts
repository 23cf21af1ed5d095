import type { BackendName, LoadProgress } from '../engine/types'
import type { StoredEvent } from '../events/types'
import type { EncoderScorer } from '../rank/types'

export interface EncoderOptions {
  /** URL of model.json (tfjs weights-manifest format plus LocalRank's vocab/config). */
  model: string
  /** The model's pin (weights.ts `modelSha256`: model.json and weights); mismatch → ModelError code 'integrity'. */
  sha256?: string
  /** Force a backend; unavailable → BackendError naming the valid ones. */
  backend?: BackendName
  onProgress?: (p: LoadProgress) => void
}

export interface EncoderStatus {
  ready: boolean
  backend: BackendName | null
  /** Why this backend was chosen (e.g. "WebGPU adapter is SwiftShader (software); WASM is faster"). */
  reason: string
  error?: string
}

/**
 * The handle the engine holds. Model code runs in a dedicated Web Worker; this object lives
 * on the page and only posts messages. `score` is the ranker's encoder slot.
 */
export interface EncoderHandle extends EncoderScorer {
  /** Replace the history (after load, forget, clear or another tab's change). */
  setHistory(events: ReadonlyArray<StoredEvent>): void
  /** One new event: lets the worker update incrementally instead of re-encoding. */
  append(event: StoredEvent): void
  status(): EncoderStatus
  /** Resolves when the model is loaded and warmed up, rejects with the load error. */
  whenReady(): Promise<void>
  dispose(): void
}
