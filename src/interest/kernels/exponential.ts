import type { DecayKernel } from '../types'
import { clampAge, positiveParam } from './shared'

/** Default half-life of the exponential kernel: 14 days. */
export const EXPONENTIAL_DEFAULTS = { halfLifeMs: 14 * 24 * 3600 * 1000 } as const

/**
 * Exponential decay by half-life h (Ebbinghaus-style forgetting; the usual choice in
 * time-aware CF, e.g. Ding & Li, "Time weight collaborative filtering", CIKM 2005):
 *
 *   K(a) = 2^(−a/h) = exp(−λ·a),  λ = ln 2 / h
 *
 * K(0) = 1, K(h) = 1/2, K(2h) = 1/4. Default h = 14 days.
 *
 * It is the one decaying kernel that factorises, K(a + b) = K(a)·K(b), so a profile keeps
 * one rescaled sum per feature instead of a list (see ../accumulator.ts).
 */
export function exponentialKernel(params: { halfLifeMs?: number } = {}): DecayKernel {
  const halfLifeMs = positiveParam(params.halfLifeMs ?? EXPONENTIAL_DEFAULTS.halfLifeMs, 'kernel.halfLifeMs')
  const lambda = Math.LN2 / halfLifeMs
  return {
    name: 'exponential',
    params: Object.freeze({ halfLifeMs, lambda }),
    weight(ageMs: number): number {
      const a = clampAge(ageMs)
      return a !== a ? 0 : Math.exp(-lambda * a)
    },
  }
}
