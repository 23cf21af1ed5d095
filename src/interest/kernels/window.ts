import type { DecayKernel } from '../types'
import { clampAge, positiveParam } from './shared'

/** Default width of the sliding window: 7 days. */
export const WINDOW_DEFAULTS = { windowMs: 7 * 24 * 3600 * 1000 } as const

/**
 * Sliding window of width W (a box kernel: count what happened in the last W, as
 * session-based recommenders do with a fixed session length):
 *
 *   K(a) = 1 if a ≤ W, else 0
 *
 * K(0) = K(W) = 1, K(W + 1 ms) = 0. Default W = 7 days. Not factorisable.
 */
export function windowKernel(params: { windowMs?: number } = {}): DecayKernel {
  const windowMs = positiveParam(params.windowMs ?? WINDOW_DEFAULTS.windowMs, 'kernel.windowMs')
  return {
    name: 'window',
    params: Object.freeze({ windowMs }),
    weight(ageMs: number): number {
      const a = clampAge(ageMs)
      return a <= windowMs ? 1 : 0 // NaN compares false → 0
    },
  }
}
