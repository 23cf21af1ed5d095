/**
 * The encoder stage: a time-aware causal Transformer (model.ts) trained offline
 * (src/offline/train) and run in a dedicated Web Worker (worker.ts) on WebGPU, WASM or CPU
 * (backend.ts). The page only holds the handle below; TensorFlow.js loads inside the worker.
 */
import { createEncoderClient, type ClientOptions } from './client'
import type { EncoderHandle } from './types'

export type { EncoderHandle, EncoderOptions, EncoderStatus } from './types'
export type { WorkerStats } from './messages'

/**
 * Start the encoder: spawns the worker, which verifies and loads the model and warms up.
 * Returns at once; `ready()` stays false (and `score` answers null) until the model is warm.
 */
export function createEncoder(options: ClientOptions): EncoderHandle & { stats(): Promise<import('./messages').WorkerStats | null> } {
  return createEncoderClient(options)
}
