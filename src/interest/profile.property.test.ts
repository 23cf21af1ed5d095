/**
 * Property-based tests (fast-check, 1,000 cases each) over random histories, configs,
 * kernels and candidates: nothing crashes, every number is finite, and the incremental
 * profile equals a recomputation from scratch (reference.ts) to a relative 1e-9.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EVENT_TYPES, type Item, type StoredEvent } from '../events/types'
import { categoryKeys, priceBand, priceBandLabel, uniqueTokens } from './features'
import { buildProfile, createProfile } from './profile'
import { close, fkey, recompute, type Reference } from './reference'
import { createSimilarityTable } from './similarity'
import type { KernelSpec, ProfileConfig } from './types'

const RUNS = 1000
const MIN = 60_000
const YEAR = 365 * 24 * 3600_000
const T1996 = Date.UTC(1996, 0, 1)
const T2030 = Date.UTC(2030, 0, 1)

const duration = fc.double({ min: MIN, max: 10 * YEAR, noNaN: true })
const kernelArb: fc.Arbitrary<KernelSpec> = fc.oneof(
  duration.map((halfLifeMs) => ({ name: 'exponential' as const, halfLifeMs })),
  duration.map((horizonMs) => ({ name: 'linear' as const, horizonMs })),
  duration.map((windowMs) => ({ name: 'window' as const, windowMs })),
  fc.record({ scaleMs: duration, exponent: fc.double({ min: 0.05, max: 4, noNaN: true }) }).map((p) => ({ name: 'power' as const, ...p })),
  fc.constant({ name: 'none' as const }),
)
// Weights below 1e-6 in magnitude become 0: a weight of 1e-316 (which fast-check does
// generate) is subnormal, where no float sum keeps 9 digits, incremental or not.
const weight = fc.oneof(
  fc.double({ min: -3, max: 10, noNaN: true }).map((w) => (Math.abs(w) < 1e-6 ? 0 : w)),
  fc.constantFrom(0, 1, 5, -1),
)
const configArb: fc.Arbitrary<Partial<ProfileConfig>> = fc.record({
  long: kernelArb,
  short: kernelArb,
  eventWeights: fc.record(Object.fromEntries(EVENT_TYPES.map((t) => [t, weight])) as Record<(typeof EVENT_TYPES)[number], typeof weight>),
  gate: fc.record({ bias: fc.double({ min: -6, max: 6, noNaN: true }), slope: fc.double({ min: -2, max: 3, noNaN: true }) }),
  featureWeights: fc.record({
    item: weight,
    category: weight,
    tag: weight,
    brand: weight,
    price: weight,
    query: weight,
    similar: weight,
  }),
  priceBands: fc.uniqueArray(fc.double({ min: 0, max: 2000, noNaN: true }), { maxLength: 6 }).map((xs) => xs.sort((a, b) => a - b)),
})

const segment = fc.oneof(fc.constantFrom('home', 'lamps', 'garden', 'Comedy', 'a>b', 'x\\', 'ランプ', 'Ñandú'), fc.string({ minLength: 1, maxLength: 6, unit: 'grapheme' }))
const text = fc.oneof(fc.constantFrom('red lamp', 'LED Lampe', '電気スタンド', 'a b c', 'Toy Story (1995)', 'lamp lamp'), fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme' }))
const itemArb: fc.Arbitrary<Item> = fc.record(
  {
    id: fc.oneof(fc.constantFrom('i1', 'i2', 'i3', 'i4', 'i5'), fc.string({ minLength: 1, maxLength: 8 })),
    category: fc.array(segment, { minLength: 1, maxLength: 4 }),
    // Repeats included: a hand-built item may carry one, and it must count once.
    tags: fc.array(fc.constantFrom('Crime', 'Horror', 'vegan', 'crime', 'a>b'), { maxLength: 4 }),
    brand: fc.oneof(fc.constantFrom('Acme', 'Lumo', 'acme'), fc.string({ minLength: 1, maxLength: 8 })),
    price: fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, 10, 25, 100)),
    title: text,
  },
  { requiredKeys: ['id'] },
)
const tsArb = fc.integer({ min: T1996, max: T2030 })
const eventArb: fc.Arbitrary<Omit<StoredEvent, 'timestamp'> & { offset: number }> = fc
  .record({
    type: fc.constantFrom(...EVENT_TYPES),
    items: fc.array(itemArb, { minLength: 1, maxLength: 3 }),
    query: text,
    offset: fc.oneof(
      fc.integer({ min: -3 * 24 * 60, max: 3 * 24 * 60 }).map((m) => m * MIN),
      fc.integer({ min: -20 * YEAR, max: 20 * YEAR }),
    ),
  })
  .map(({ type, items, query, offset }) => ({ id: 'e', type, items: type === 'search' ? items.slice(0, 1) : items, offset, ...(type === 'search' ? { query } : {}) }))
/** Events spread around a base time: clusters within days, outliers up to decades away. */
const historyArb = fc
  .tuple(tsArb, fc.array(eventArb, { maxLength: 25 }))
  .map(([base, evs]) => evs.map(({ offset, ...e }, i) => ({ ...e, id: `e${i}`, timestamp: Math.min(T2030, Math.max(T1996, base + offset)) }) as StoredEvent))
const nowArb = (events: StoredEvent[]) =>
  fc.oneof(tsArb, fc.constantFrom(...(events.length ? events.map((e) => e.timestamp) : [T2030])), fc.constant(Math.max(T1996, ...events.map((e) => e.timestamp)) + 3600_000))
const caseArb = fc.tuple(configArb, historyArb, fc.array(itemArb, { minLength: 1, maxLength: 6 })).chain(([config, events, cands]) => nowArb(events).map((now) => ({ config, events, cands, now })))

/** The reference score of a candidate and Σ|terms| for the tolerance. */
function refScore(ref: Reference, config: ProfileConfig, c: Item): { value: number; abs: number } {
  const fw = config.featureWeights
  let value = 0
  let abs = 0
  const add = (kind: keyof typeof fw, f: string) => {
    const v = ref.fused.get(f)
    if (!v) return
    value += fw[kind] * v.value
    abs += Math.abs(fw[kind]) * v.abs
  }
  add('item', fkey('item', c.id))
  for (const k of categoryKeys(c.category)) add('category', fkey('category', k))
  for (const t of new Set(c.tags ?? [])) add('tag', fkey('tag', t))
  if (c.brand) add('brand', fkey('brand', c.brand))
  const band = priceBand(c.price, config.priceBands)
  if (band >= 0) add('price', fkey('price', priceBandLabel(band, config.priceBands)))
  const hasQuery = [...ref.fused.keys()].some((f) => f.startsWith('query\u0000'))
  if (hasQuery) for (const t of uniqueTokens(c.title)) add('query', fkey('query', t))
  return { value, abs }
}

/** A mass in the subnormal range makes any ratio to it imprecise, for the reference too. */
const subnormal = (m: number) => m > 0 && m < 1e-280

describe('profile properties (fast-check, 1,000 cases each)', () => {
  it('nothing crashes and every number is finite; value = score = Σ contributions, largest first', () => {
    fc.assert(
      fc.property(caseArb, ({ config, events, cands, now }) => {
        const p = buildProfile(events, config)
        // Impressions (view_item_list) are not profiled (issue 15 #3).
        expect(p.size).toBe(events.filter((e) => e.type !== 'view_item_list').length)
        const m = p.masses(now)
        expect(Number.isFinite(m.long) && m.long >= 0).toBe(true)
        expect(Number.isFinite(m.short) && m.short >= 0).toBe(true)
        expect(m.gate >= 0 && m.gate <= 1).toBe(true)
        for (const c of cands) {
          const v = p.value(c, now)
          const s = p.score(c, now)
          expect(Number.isFinite(v)).toBe(true)
          expect(s.score).toBe(v)
          let sum = 0
          let scale = 0
          for (let i = 0; i < s.contributions.length; i++) {
            const x = s.contributions[i]!
            expect(Number.isFinite(x.value)).toBe(true)
            if (i > 0) expect(s.contributions[i - 1]!.value).toBeGreaterThanOrEqual(x.value)
            sum += x.value
            scale += Math.abs(x.value)
          }
          expect(close(sum, v, 1e-12, scale)).toBe(true)
        }
        for (const i of p.top(now, 50)) {
          expect(Number.isFinite(i.weight)).toBe(true)
          expect(i.weight).toBeGreaterThan(0)
          expect(i.weight).toBeLessThanOrEqual(1 + 1e-12) // a share of activity
        }
      }),
      { numRuns: RUNS },
    )
  })

  it('incremental == recomputation from scratch (relative 1e-9), in any order of arrival', () => {
    let compared = 0
    let skipped = 0
    fc.assert(
      fc.property(caseArb, fc.boolean(), ({ config, events, cands, now }, reverse) => {
        const p = createProfile(config)
        for (const e of reverse ? [...events].reverse() : events) p.add(e)
        const ref = recompute(events, config, now)
        if (subnormal(ref.long.shareMass) || subnormal(ref.short.shareMass)) return void skipped++
        const m = p.masses(now)
        expect(close(m.long, ref.long.mass, 1e-9)).toBe(true)
        expect(close(m.short, ref.short.mass, 1e-9)).toBe(true)
        expect(close(m.gate, ref.gate, 1e-9)).toBe(true)
        for (const [f, v] of ref.fused) {
          const [kind, key] = f.split('\u0000') as [never, string]
          const got = p.weight(kind, key, now)
          if (!close(got, v.value, 1e-9, v.abs)) expect.fail(`${JSON.stringify(f)}: incremental ${got} vs recomputed ${v.value}`)
          compared++
        }
        for (const c of cands) {
          const r = refScore(ref, p.config, c)
          const got = p.value(c, now)
          if (!close(got, r.value, 1e-9, r.abs)) expect.fail(`candidate ${JSON.stringify(c)}: ${got} vs ${r.value}`)
        }
      }),
      { numRuns: RUNS },
    )
    expect(compared).toBeGreaterThan(RUNS)
    expect(skipped).toBeLessThan(RUNS / 20)
  })

  it('decayed similarity equals Σ_h v(h)·sim(h, c) by brute force', () => {
    const ids = ['i1', 'i2', 'i3', 'i4', 'i5', 'i6']
    const triple = fc.tuple(fc.constantFrom(...ids), fc.constantFrom(...ids), fc.double({ min: -1, max: 1, noNaN: true }))
    fc.assert(
      fc.property(caseArb, fc.array(triple, { maxLength: 20 }), ({ config, events, now }, triples) => {
        const table = createSimilarityTable(triples)
        const cfg = { ...config, featureWeights: { item: 0, category: 0, tag: 0, brand: 0, price: 0, query: 0, similar: 1.5 } }
        const p = buildProfile(events, cfg, table)
        const hist = new Set(events.flatMap((e) => e.items.map((i) => i.id)))
        for (const c of ids) {
          let brute = 0
          let abs = 0
          for (const h of hist) {
            const sim = table.neighbors(h).find(([id]) => id === c)?.[1] ?? 0
            brute += p.weight('item', h, now) * sim
            abs += Math.abs(p.weight('item', h, now) * sim)
          }
          expect(close(p.value({ id: c }, now), 1.5 * brute, 1e-12, 1.5 * abs)).toBe(true)
        }
      }),
      { numRuns: RUNS },
    )
  })
})
