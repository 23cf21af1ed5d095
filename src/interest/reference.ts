/**
 * Recompute-from-scratch reference for the tests (not exported from the index, not used at
 * runtime). It walks the whole history for every question, with none of the profile's
 * incremental state, caches or tries, so that tests can check the incremental profile
 * against the definition in profile.ts (`createProfile`'s doc comment).
 */
import type { StoredEvent } from '../events/types'
import { resolveProfileConfig } from './config'
import { categoryKeys, priceBand, priceBandLabel, uniqueTokens } from './features'
import type { DecayKernel, FeatureKind, ProfileConfig } from './types'

interface Unit {
  t: number
  w: number
  features: string[] // `${kind}\u0000${key}`
}

export const fkey = (kind: FeatureKind, key: string): string => `${kind}\u0000${key}`

export function units(events: ReadonlyArray<StoredEvent>, config: ProfileConfig): Unit[] {
  const out: Unit[] = []
  for (const e of events) {
    if (e.type === 'view_item_list') continue // impressions are not profiled (profile.ts add)
    const w = config.eventWeights[e.type]
    for (const it of e.items) {
      const f = [fkey('item', it.id), ...categoryKeys(it.category).map((k) => fkey('category', k))]
      for (const t of new Set(it.tags ?? [])) f.push(fkey('tag', t))
      if (it.brand) f.push(fkey('brand', it.brand))
      const band = priceBand(it.price, config.priceBands)
      if (band >= 0) f.push(fkey('price', priceBandLabel(band, config.priceBands)))
      out.push({ t: e.timestamp, w, features: f })
    }
    if (e.query !== undefined) out.push({ t: e.timestamp, w: config.eventWeights.search, features: uniqueTokens(e.query).map((k) => fkey('query', k)) })
  }
  return out
}

/** One kernel's view: S(f) and Σ|terms|(f) per feature, and the mass, all divided by M. */
export interface KernelView {
  /** Raw M(now) = Σ|w|·K(now − t). */
  mass: number
  /** Mass in the units used for shares (anchored for the exponential; = mass otherwise). */
  shareMass: number
  share: Map<string, { value: number; abs: number }>
}

export function kernelView(us: ReadonlyArray<Unit>, kernel: DecayKernel, now: number): KernelView {
  let mass = 0
  for (const u of us) mass += Math.abs(u.w) * kernel.weight(now - u.t)
  // The exponential's shares do not depend on `now` while `now` is after every unit; they
  // are computed anchored at the latest unit that weighs anything (the same number,
  // without underflow).
  const tMax = us.reduce((m, u) => (u.w !== 0 ? Math.max(m, u.t) : m), -Infinity)
  const lambda = kernel.name === 'exponential' ? (kernel.params.lambda as number) : kernel.name === 'none' ? 0 : null
  const anchored = lambda !== null && (now >= tMax || lambda === 0)
  const k = (t: number) => (anchored ? Math.exp(-(lambda as number) * (tMax - t)) : kernel.weight(now - t))
  let m = 0
  const raw = new Map<string, { s: number; a: number }>()
  for (const u of us) {
    const kw = u.w === 0 ? 0 : k(u.t) // a zero-weight unit after the anchor would give 0·∞
    m += Math.abs(u.w) * kw
    for (const f of u.features) {
      const r = raw.get(f) ?? { s: 0, a: 0 }
      r.s += u.w * kw
      r.a += Math.abs(u.w) * kw
      raw.set(f, r)
    }
  }
  const share = new Map<string, { value: number; abs: number }>()
  for (const [f, r] of raw) {
    const v = m > 0 ? Math.min(1, Math.max(-1, r.s / m)) : 0
    share.set(f, { value: v, abs: m > 0 ? r.a / m : 0 })
  }
  return { mass, shareMass: m, share }
}

export interface Reference {
  gate: number
  long: KernelView
  short: KernelView
  /** Fused weight per feature and the scale Σ|terms| for relative tolerances. */
  fused: Map<string, { value: number; abs: number }>
}

export function recompute(events: ReadonlyArray<StoredEvent>, partial: Partial<ProfileConfig>, now: number): Reference {
  const { config, long, short } = resolveProfileConfig(partial)
  const us = units(events, config)
  const L = kernelView(us, long, now)
  const S = kernelView(us, short, now)
  const x = config.gate.bias + config.gate.slope * Math.log(1 + S.mass)
  const g = 1 / (1 + Math.exp(-x))
  const fused = new Map<string, { value: number; abs: number }>()
  for (const f of new Set([...L.share.keys(), ...S.share.keys()])) {
    const l = L.share.get(f) ?? { value: 0, abs: 0 }
    const s = S.share.get(f) ?? { value: 0, abs: 0 }
    fused.set(f, { value: g * s.value + (1 - g) * l.value, abs: g * s.abs + (1 - g) * l.abs })
  }
  return { gate: g, long: L, short: S, fused }
}

/** |a − b| ≤ rel · scale, with `scale` at least max(|a|, |b|) and a floor below the normal range. */
export function close(a: number, b: number, rel: number, scale = 0): boolean {
  const s = Math.max(Math.abs(a), Math.abs(b), scale)
  return Math.abs(a - b) <= rel * s + 1e-300
}
