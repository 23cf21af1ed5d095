import type { DecayKernel } from '../types'
import { clampAge, positiveParam } from './shared'

/** Defaults of the power-law kernel: scale s = 1 day, exponent p = 1. */
export const POWER_DEFAULTS = { scaleMs: 24 * 3600 * 1000, exponent: 1 } as const

/**
 * Power-law (hyperbolic) decay with scale s and exponent p:
 *
 *   K(a) = (1 + a/s)^(−p)
 *
 * K(0) = 1, K(s) = 2^(−p), K((2^(1/p) − 1)·s) = 1/2. Defaults s = 1 day, p = 1.
 * Human forgetting and revisit intervals follow a power law rather than an exponential
 * (Wixted & Ebbesen 1991; Anderson & Schooler 1991): a heavy tail keeps old but strong
 * interests alive. Not factorisable: profiles sum per-feature event lists.
 */
export function powerKernel(params: { scaleMs?: number; exponent?: number } = {}): DecayKernel {
  const scaleMs = positiveParam(params.scaleMs ?? POWER_DEFAULTS.scaleMs, 'kernel.scaleMs')
  const exponent = positiveParam(params.exponent ?? POWER_DEFAULTS.exponent, 'kernel.exponent')
  return {
    name: 'power',
    params: Object.freeze({ scaleMs, exponent }),
    weight(ageMs: number): number {
      const a = clampAge(ageMs)
      if (a !== a) return 0
      return Math.pow(1 + a / scaleMs, -exponent)
    },
  }
}
