/**
 * The decay-kernel registry (one file per kernel, as RecBole keeps one file per model).
 * Each kernel documents its formula and defaults where it is defined. Shared contract:
 * weight(0) = 1, weights in [0, 1], non-increasing in age, negative age → age 0.
 */
import { ValidationError } from '../../errors'
import type { DecayKernel, KernelName, KernelSpec } from '../types'
import { EXPONENTIAL_DEFAULTS, exponentialKernel } from './exponential'
import { LINEAR_DEFAULTS, linearKernel } from './linear'
import { noneKernel } from './none'
import { POWER_DEFAULTS, powerKernel } from './power'
import { WINDOW_DEFAULTS, windowKernel } from './window'

export { EXPONENTIAL_DEFAULTS, LINEAR_DEFAULTS, POWER_DEFAULTS, WINDOW_DEFAULTS }
export { exponentialKernel, linearKernel, noneKernel, powerKernel, windowKernel }

/** A kernel spec whose numeric parameters may be left out; missing ones take the kernel's defaults. */
export type PartialKernelSpec = { [S in KernelSpec as S['name']]: { name: S['name'] } & Partial<Omit<S, 'name'>> }[KernelName]

type Factory = (spec: Record<string, unknown>) => DecayKernel

/** name → factory. Adding a kernel = one file + one line here + one member of `KernelName`. */
export const KERNELS: Readonly<Record<KernelName, Factory>> = Object.freeze({
  exponential: (s: Record<string, unknown>) => exponentialKernel(s as { halfLifeMs?: number }),
  linear: (s: Record<string, unknown>) => linearKernel(s as { horizonMs?: number }),
  window: (s: Record<string, unknown>) => windowKernel(s as { windowMs?: number }),
  power: (s: Record<string, unknown>) => powerKernel(s as { scaleMs?: number; exponent?: number }),
  none: () => noneKernel(),
})

export const KERNEL_NAMES = Object.freeze(Object.keys(KERNELS) as KernelName[])

/**
 * Build a kernel from its spec. Throws `ValidationError` (code `invalid_options`) naming the
 * bad field, e.g. `kernel.halfLifeMs`, or `kernel.name` with the valid names.
 */
export function createKernel(spec: KernelSpec | PartialKernelSpec): DecayKernel {
  if (typeof spec !== 'object' || spec === null) {
    throw new ValidationError('invalid_options', 'kernel', 'must be an object like { name: "exponential", halfLifeMs: 1209600000 }')
  }
  const name = (spec as { name?: unknown }).name
  const factory = typeof name === 'string' && Object.hasOwn(KERNELS, name) ? KERNELS[name as KernelName] : undefined
  if (!factory) {
    throw new ValidationError('invalid_options', 'kernel.name', `must be one of ${KERNEL_NAMES.join(', ')} (got ${String(name)})`)
  }
  return factory(spec as unknown as Record<string, unknown>)
}
