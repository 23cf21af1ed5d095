import type { DecayKernel } from '../types'

/**
 * No decay: K(a) = 1 for every age (a plain weighted count). No parameters.
 * The baseline "decay profile without decay", and the limit of every other kernel as its
 * time scale grows. A NaN age still maps to 0, like every kernel.
 */
export function noneKernel(): DecayKernel {
  return {
    name: 'none',
    params: Object.freeze({}),
    weight(ageMs: number): number {
      return ageMs !== ageMs ? 0 : 1
    },
  }
}
