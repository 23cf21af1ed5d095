import type { GateParams, KernelName, KernelSpec, ProfileConfig } from '../../interest/types'
import type { RankerConfig } from '../../rank'
import type { ArtifactOptions } from '../similarity/artifact'
import type { ProfileModelOptions } from './models/profile'

/**
 * A flat point of the tuning space: the similarity artifact, the profile and the ranker's
 * fusion, each parameter with a name the trace and the report can print.
 *
 * Kernels are parameterised by one time scale τ, "the age at which the weight falls to ½",
 * so that one axis serves every kernel (the plot's x axis):
 * - exponential: half-life h = τ;
 * - linear: horizon H = 2τ (K(H/2) = ½);
 * - window: width W = τ (the box has no ½ point; its edge is the only time scale);
 * - power: scale s = τ / (2^(1/p) − 1), so K(τ) = ½ for exponent p;
 * - none: no decay, τ ignored.
 */
export interface TunePoint {
  sim: Omit<ArtifactOptions, 'digits'>
  kernel: KernelName
  /** τ of the long-term kernel (ms). */
  longTau: number
  /** τ of the short-term kernel (ms). */
  shortTau: number
  /** Exponent p of the power kernel. */
  powerExponent: number
  gate: GateParams
  /** featureWeights.category (featureWeights.similar stays 1: only the ratio matters before standardising). */
  category: number
  /** Ranker fusion weight of the profile (the server's stays 1). */
  profileWeight: number
  serverTransform: RankerConfig['serverTransform']
}

export function kernelSpec(kernel: KernelName, tau: number, powerExponent: number): KernelSpec {
  switch (kernel) {
    case 'exponential':
      return { name: 'exponential', halfLifeMs: tau }
    case 'linear':
      return { name: 'linear', horizonMs: 2 * tau }
    case 'window':
      return { name: 'window', windowMs: tau }
    case 'power':
      return { name: 'power', scaleMs: tau / (Math.pow(2, 1 / powerExponent) - 1), exponent: powerExponent }
    case 'none':
      return { name: 'none' }
  }
}

export function profileConfigOf(p: TunePoint): Partial<ProfileConfig> {
  return {
    long: kernelSpec(p.kernel, p.longTau, p.powerExponent),
    short: kernelSpec(p.kernel, p.shortTau, p.powerExponent),
    gate: { ...p.gate },
    // tag follows category: both are "what kind of item" signals (MovieLens items have no tags).
    featureWeights: { item: 1, category: p.category, tag: p.category, brand: 0.5, price: 0.25, query: 1, similar: 1 },
  }
}

export function rankerConfigOf(p: TunePoint): Partial<RankerConfig> {
  return { weights: { server: 1, profile: p.profileWeight, encoder: 1 }, serverTransform: p.serverTransform }
}

export function modelOptionsOf(p: TunePoint, name: string, description: string): ProfileModelOptions {
  return { name, description, profile: profileConfigOf(p), ranker: rankerConfigOf(p) }
}

const H = 3600 * 1000
const D = 24 * H

/** Human-readable duration: 90 min → "1.5h", 3 days → "3d". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '∞'
  if (ms >= 365 * D) return `${+(ms / (365 * D)).toPrecision(3)}y`
  if (ms >= D) return `${+(ms / D).toPrecision(3)}d`
  if (ms >= H) return `${+(ms / H).toPrecision(3)}h`
  return `${+(ms / 60000).toPrecision(3)}min`
}

/** A starting point before any tuning: the library's defaults at the time of writing. */
export const START: TunePoint = {
  sim: { window: 50, distanceExponent: 0.5, future: 1, gapHalfLifeMs: Infinity, alpha: 0.5, shrink: 2, k: 20, minCount: 2, symmetric: false },
  kernel: 'exponential',
  longTau: 30 * D,
  shortTau: H,
  powerExponent: 1,
  gate: { bias: -2, slope: 1 },
  category: 1,
  profileWeight: 1,
  serverTransform: 'rank',
}

export const GRIDS = {
  'sim.window': [3, 5, 10, 20, 50, 100, 200, Infinity],
  'sim.distanceExponent': [0, 0.25, 0.5, 1],
  'sim.future': [0, 0.25, 0.5, 1],
  'sim.gapHalfLifeMs': [H, D, 7 * D, 30 * D, 365 * D, Infinity],
  'sim.alpha': [0.3, 0.4, 0.5, 0.6, 0.7],
  'sim.shrink': [0, 1, 2, 5, 10, 20],
  'sim.k': [10, 15, 20, 25, 30, 40, 50],
  'sim.minCount': [1, 2, 3, 5, 10],
  'sim.symmetric': [false, true],
  longTau: [H, 6 * H, D, 3 * D, 7 * D, 14 * D, 30 * D, 90 * D, 180 * D, 365 * D, 3 * 365 * D, 10 * 365 * D],
  shortTau: [5 * 60000, 30 * 60000, H, 6 * H, D, 7 * D],
  powerExponent: [0.25, 0.5, 1, 2],
  'gate.bias': [-6, -4, -2, -1, 0, 1, 2],
  'gate.slope': [0, 0.5, 1, 2],
  // Never 0: with no similarity table loaded the category term is the profile's only
  // signal, and the ranker's per-list standardisation restores its full effect at any
  // positive weight. 0 would switch categories off for shops that ship no table.
  category: [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1],
  profileWeight: [0.5, 1, 1.5, 2, 3, 5, 10],
  serverTransform: ['rank', 'log'],
} as const

export type Dim = keyof typeof GRIDS

export function getDim(p: TunePoint, d: Dim): unknown {
  if (d.startsWith('sim.')) return (p.sim as unknown as Record<string, unknown>)[d.slice(4)]
  if (d === 'gate.bias') return p.gate.bias
  if (d === 'gate.slope') return p.gate.slope
  return (p as unknown as Record<string, unknown>)[d]
}

export function setDim(p: TunePoint, d: Dim, v: unknown): TunePoint {
  const q: TunePoint = { ...p, sim: { ...p.sim }, gate: { ...p.gate } }
  if (d.startsWith('sim.')) (q.sim as unknown as Record<string, unknown>)[d.slice(4)] = v
  else if (d === 'gate.bias') q.gate.bias = v as number
  else if (d === 'gate.slope') q.gate.slope = v as number
  else (q as unknown as Record<string, unknown>)[d] = v
  return q
}

/** Stable key of a point (Infinity survives, unlike JSON). */
export function keyOf(p: TunePoint): string {
  return JSON.stringify(p, (_k, v: unknown) => (v === Infinity ? 'Inf' : v))
}

/** JSON-safe copy (Infinity → "Infinity"), and back. */
export function pointToJSON(p: TunePoint): unknown {
  return JSON.parse(JSON.stringify(p, (_k, v: unknown) => (v === Infinity ? 'Infinity' : v)))
}
export function pointFromJSON(o: unknown): TunePoint {
  return JSON.parse(JSON.stringify(o), (_k, v: unknown) => (v === 'Infinity' ? Infinity : v)) as TunePoint
}
