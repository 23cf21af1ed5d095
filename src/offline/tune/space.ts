import type { EventType } from '../../events/types'
import { DEFAULT_PROFILE_CONFIG } from '../../interest/defaults'
import type { FeatureKind, KernelName, KernelSpec } from '../../interest/types'
import { DEFAULT_RANKER_CONFIG, type RankerConfig } from '../../rank/defaults'
import type { TunedOptions } from '../../tuned/format'
import type { Dataset } from '../data/types'
import { GRIDS, kernelSpec } from '../eval/params'

/**
 * The tuning space: one flat point per configuration, each coordinate with a name and a grid
 * (coordinate descent moves one at a time). Kernels share one time axis τ, "the age at which
 * the weight falls to ½" (src/offline/eval/params.ts `kernelSpec`), so switching the kernel
 * keeps the time scales meaningful.
 *
 * Only coordinates the data can inform are tuned: an event type that never occurs in the
 * log, a brand or price no item carries, query tokens without searches, or a similarity
 * weight without a table keep the library default (a grid over them would only fit noise).
 * Event weights are relative to `view_item` (= 1): the profile uses shares of decayed mass,
 * so only ratios matter.
 */
export interface TunePoint {
  kernel: KernelName
  longTau: number
  shortTau: number
  powerExponent: number
  gateBias: number
  gateSlope: number
  eventWeights: Partial<Record<EventType, number>>
  featureWeights: Partial<Record<FeatureKind | 'similar', number>>
  profileWeight: number
  serverTransform: RankerConfig['serverTransform']
}

export interface Dim {
  name: string
  values: ReadonlyArray<number | string>
  get(p: TunePoint): number | string
  set(p: TunePoint, v: number | string): TunePoint
  /** Skip this coordinate at this point (e.g. the power exponent of a non-power kernel). */
  idle?(p: TunePoint): boolean
}

/** τ of a kernel spec (inverse of kernelSpec). */
export function tauOf(k: KernelSpec): { kernel: KernelName; tau: number; exponent: number } {
  switch (k.name) {
    case 'exponential':
      return { kernel: 'exponential', tau: k.halfLifeMs, exponent: 1 }
    case 'linear':
      return { kernel: 'linear', tau: k.horizonMs / 2, exponent: 1 }
    case 'window':
      return { kernel: 'window', tau: k.windowMs, exponent: 1 }
    case 'power':
      return { kernel: 'power', tau: k.scaleMs * (Math.pow(2, 1 / k.exponent) - 1), exponent: k.exponent }
    case 'none':
      return { kernel: 'none', tau: 30 * 24 * 3600 * 1000, exponent: 1 }
  }
}

/** The library defaults as a point: the search starts there, so tuning never ends below them on validation. */
export function defaultPoint(): TunePoint {
  const d = DEFAULT_PROFILE_CONFIG
  const long = tauOf(d.long)
  const short = tauOf(d.short)
  return {
    kernel: long.kernel,
    longTau: long.tau,
    shortTau: short.tau,
    powerExponent: long.exponent,
    gateBias: d.gate.bias,
    gateSlope: d.gate.slope,
    eventWeights: {},
    featureWeights: {},
    profileWeight: DEFAULT_RANKER_CONFIG.weights.profile,
    serverTransform: DEFAULT_RANKER_CONFIG.serverTransform,
  }
}

/**
 * The engine options of a point. Every weight is written out, tuned or not, so the file means
 * the same thing after the library's defaults change (a partial file would silently follow
 * them).
 */
export function optionsOf(p: TunePoint): TunedOptions {
  return {
    profile: {
      long: kernelSpec(p.kernel, p.longTau, p.powerExponent),
      short: kernelSpec(p.kernel, p.shortTau, p.powerExponent),
      gate: { bias: p.gateBias, slope: p.gateSlope },
      eventWeights: { ...DEFAULT_PROFILE_CONFIG.eventWeights, ...p.eventWeights },
      featureWeights: { ...DEFAULT_PROFILE_CONFIG.featureWeights, ...p.featureWeights },
    },
    ranker: { weights: { ...DEFAULT_RANKER_CONFIG.weights, server: 1, profile: p.profileWeight }, serverTransform: p.serverTransform },
  }
}

export function keyOf(p: TunePoint): string {
  return JSON.stringify(p)
}

/** Which signals the data carries (what the tuner may tune). */
export interface Signals {
  eventTypes: Set<EventType>
  brand: boolean
  price: boolean
  category: boolean
  query: boolean
  similarity: boolean
}

export function signalsOf(ds: Dataset, similarity: boolean): Signals {
  const eventTypes = new Set<EventType>()
  let query = false
  for (const u of ds.users)
    for (const e of u.events) {
      eventTypes.add(e.type)
      if (e.type === 'search' && e.query) query = true
    }
  let brand = false
  let price = false
  let category = false
  for (const it of ds.items.values()) {
    if (it.brand) brand = true
    if (typeof it.price === 'number') price = true
    if (it.category && it.category.length > 0) category = true
  }
  return { eventTypes, brand, price, category, query, similarity }
}

const EVENT_GRID = [0, 0.5, 1, 2, 3, 5, 8, 13]
const FEATURE_GRID = [0, 0.03, 0.1, 0.3, 1, 3, 10, 100]
const SIMILAR_GRID = [0, 1, 10, 100, 1000, 10_000, 100_000]

function num(name: string, values: ReadonlyArray<number>, get: (p: TunePoint) => number, set: (p: TunePoint, v: number) => TunePoint, idle?: (p: TunePoint) => boolean): Dim {
  const d: Dim = { name, values, get, set: (p, v) => set(p, v as number) }
  if (idle) d.idle = idle
  return d
}

/** The coordinates to tune for these signals, in the order a pass visits them. */
export function dimensions(s: Signals): Dim[] {
  const dims: Dim[] = [
    { name: 'kernel', values: ['exponential', 'power', 'linear', 'window', 'none'], get: (p) => p.kernel, set: (p, v) => ({ ...p, kernel: v as KernelName }) },
    num(
      'longTau',
      GRIDS.longTau,
      (p) => p.longTau,
      (p, v) => ({ ...p, longTau: v }),
      (p) => p.kernel === 'none',
    ),
    num(
      'shortTau',
      GRIDS.shortTau,
      (p) => p.shortTau,
      (p, v) => ({ ...p, shortTau: v }),
      (p) => p.kernel === 'none',
    ),
    num(
      'powerExponent',
      GRIDS.powerExponent,
      (p) => p.powerExponent,
      (p, v) => ({ ...p, powerExponent: v }),
      (p) => p.kernel !== 'power',
    ),
    num(
      'gate.bias',
      GRIDS['gate.bias'],
      (p) => p.gateBias,
      (p, v) => ({ ...p, gateBias: v }),
    ),
    num(
      'gate.slope',
      GRIDS['gate.slope'],
      (p) => p.gateSlope,
      (p, v) => ({ ...p, gateSlope: v }),
    ),
  ]
  const ew = DEFAULT_PROFILE_CONFIG.eventWeights
  for (const t of ['select_item', 'add_to_cart', 'add_to_wishlist', 'begin_checkout', 'purchase', 'search'] as const) {
    if (!s.eventTypes.has(t)) continue
    dims.push(
      num(
        `eventWeights.${t}`,
        EVENT_GRID,
        (p) => p.eventWeights[t] ?? ew[t],
        (p, v) => ({ ...p, eventWeights: { ...p.eventWeights, [t]: v } }),
      ),
    )
  }
  if (s.eventTypes.has('remove_from_cart'))
    dims.push(
      num(
        'eventWeights.remove_from_cart',
        [-3, -1, -0.5, 0, 0.5],
        (p) => p.eventWeights.remove_from_cart ?? ew.remove_from_cart,
        (p, v) => ({ ...p, eventWeights: { ...p.eventWeights, remove_from_cart: v } }),
      ),
    )
  const fw = DEFAULT_PROFILE_CONFIG.featureWeights
  const feature = (k: FeatureKind | 'similar', grid: ReadonlyArray<number>) =>
    num(
      `featureWeights.${k}`,
      grid,
      (p) => p.featureWeights[k] ?? fw[k],
      (p, v) => ({ ...p, featureWeights: { ...p.featureWeights, [k]: v } }),
    )
  dims.push(feature('item', FEATURE_GRID))
  if (s.category) dims.push(feature('category', FEATURE_GRID))
  if (s.brand) dims.push(feature('brand', FEATURE_GRID))
  if (s.price) dims.push(feature('price', FEATURE_GRID))
  if (s.query) dims.push(feature('query', FEATURE_GRID))
  if (s.similarity) dims.push(feature('similar', SIMILAR_GRID))
  dims.push(
    num(
      'ranker.weights.profile',
      [0.25, 0.5, 1, 1.5, 2, 3, 5, 10],
      (p) => p.profileWeight,
      (p, v) => ({ ...p, profileWeight: v }),
    ),
  )
  dims.push({ name: 'ranker.serverTransform', values: ['rank', 'log', 'raw'], get: (p) => p.serverTransform, set: (p, v) => ({ ...p, serverTransform: v as RankerConfig['serverTransform'] }) })
  return dims
}
