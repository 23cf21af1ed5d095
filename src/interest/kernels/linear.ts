import type { DecayKernel } from '../types'
import { clampAge, positiveParam } from './shared'

/** Default horizon of the linear kernel: 30 days. */
export const LINEAR_DEFAULTS = { horizonMs: 30 * 24 * 3600 * 1000 } as const

/**
 * Linear decay to zero over a horizon H:
 *
 *   K(a) = max(0, 1 − a/H)
 *
 * K(0) = 1, K(H/2) = 1/2, K(a ≥ H) = 0. Default H = 30 days.
 * Unlike the exponential kernel it forgets completely after H, which bounds how long an
 * old interest can linger. Not factorisable: profiles sum per-feature event lists.
 */
export function linearKernel(params: { horizonMs?: number } = {}): DecayKernel {
  const horizonMs = positiveParam(params.horizonMs ?? LINEAR_DEFAULTS.horizonMs, 'kernel.horizonMs')
  return {
    name: 'linear',
    params: Object.freeze({ horizonMs }),
    weight(ageMs: number): number {
      const a = clampAge(ageMs)
      if (a !== a) return 0
      const w = 1 - a / horizonMs
      return w > 0 ? w : 0
    },
  }
}
