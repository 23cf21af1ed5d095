import { ValidationError } from '../errors'
import { EVENT_TYPES } from '../events/types'
import { DEFAULT_PROFILE_CONFIG } from './defaults'
import { createKernel } from './kernels'
import type { DecayKernel, FeatureKind, KernelSpec, ProfileConfig, ProfileOptions } from './types'

export const FEATURE_KINDS: ReadonlyArray<FeatureKind> = Object.freeze(['item', 'category', 'tag', 'brand', 'price', 'query'])

/** A config checked and completed, with its two kernels built. */
export interface ResolvedConfig {
  config: ProfileConfig
  long: DecayKernel
  short: DecayKernel
}

const bad = (field: string, reason: string) => new ValidationError('invalid_options', field, reason)

function finite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(field, `must be a finite number (got ${String(value)})`)
  return value
}

function kernel(spec: KernelSpec, field: string): DecayKernel {
  try {
    return createKernel(spec)
  } catch (err) {
    // Re-anchor `kernel.halfLifeMs` to `profile.long.halfLifeMs`.
    if (err instanceof ValidationError) throw bad(err.field.replace(/^kernel/, field), err.reason)
    throw err
  }
}

/**
 * Complete a partial config from DEFAULT_PROFILE_CONFIG (the nested `eventWeights`,
 * `featureWeights` and `gate` objects are merged key by key) and check every number.
 * Throws `ValidationError` (code `invalid_options`) naming the field, e.g.
 * `profile.eventWeights.purchase` or `profile.priceBands[2]`.
 */
export function resolveProfileConfig(partial: ProfileOptions = {}): ResolvedConfig {
  if (typeof partial !== 'object' || partial === null) throw bad('profile', 'must be an object')
  const d = DEFAULT_PROFILE_CONFIG
  const config: ProfileConfig = {
    long: { ...(partial.long ?? d.long) },
    short: { ...(partial.short ?? d.short) },
    eventWeights: { ...d.eventWeights, ...partial.eventWeights },
    gate: { ...d.gate, ...partial.gate },
    featureWeights: { ...d.featureWeights, ...partial.featureWeights },
    priceBands: [...(partial.priceBands ?? d.priceBands)],
  }
  const long = kernel(config.long, 'profile.long')
  const short = kernel(config.short, 'profile.short')
  for (const t of EVENT_TYPES) finite(config.eventWeights[t], `profile.eventWeights.${t}`)
  finite(config.gate.bias, 'profile.gate.bias')
  finite(config.gate.slope, 'profile.gate.slope')
  for (const k of [...FEATURE_KINDS, 'similar'] as const) finite(config.featureWeights[k], `profile.featureWeights.${k}`)
  if (!Array.isArray(config.priceBands)) throw bad('profile.priceBands', 'must be an array of ascending numbers')
  config.priceBands.forEach((e, i) => {
    finite(e, `profile.priceBands[${i}]`)
    if (i > 0 && !(e > (config.priceBands[i - 1] as number))) throw bad(`profile.priceBands[${i}]`, 'must be greater than the edge before it')
  })
  for (const part of [config.long, config.short, config.eventWeights, config.gate, config.featureWeights, config.priceBands]) Object.freeze(part)
  return { config: Object.freeze(config), long, short }
}
