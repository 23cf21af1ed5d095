import { describe, expect, it } from 'vitest'
import { ValidationError } from '../errors'
import type { EventType, Item, StoredEvent } from '../events/types'
import { DEFAULT_PROFILE_CONFIG } from './defaults'
import { buildProfile, createProfile, sigmoid } from './profile'
import { close, fkey, recompute } from './reference'
import type { KernelSpec, ProfileConfig } from './types'
import { mulberry32 as rng } from '../rng'

const H = 3600_000
const D = 24 * H
const NOW = Date.UTC(2024, 5, 1, 12) // fixed clock
let seq = 0
const ev = (type: EventType, t: number, items: Item[] = [], query?: string): StoredEvent => ({
  id: `e${++seq}`,
  type,
  items,
  timestamp: t,
  ...(query !== undefined ? { query } : {}),
})
const lamp: Item = { id: 'lamp-1', category: ['home', 'lamps'], brand: 'Lumo', price: 30, title: 'Brass desk lamp' }
const sofa: Item = { id: 'sofa-1', category: ['home', 'sofas'], brand: 'Sitwell', price: 300, title: 'Grey sofa' }

describe('fusion of the long and short profiles (hand-computed)', () => {
  const config: Partial<ProfileConfig> = {
    long: { name: 'exponential', halfLifeMs: 10 * D },
    short: { name: 'exponential', halfLifeMs: H },
    gate: { bias: 0, slope: 1 },
  }
  const p = buildProfile([ev('view_item', NOW - 10 * D, [lamp]), ev('purchase', NOW - H, [sofa])], config)
  // long kernel: view 1·2^−1, purchase 5·2^(−1/240); short: view 2^−240, purchase 5·2^−1
  const Ml = 0.5 + 5 * Math.pow(2, -1 / 240)
  const Ms = Math.pow(2, -240) + 2.5
  const g = (1 + Ms) / (2 + Ms) // sigmoid(log(1 + Ms)) = (1 + Ms)/(2 + Ms)

  it('masses and gate follow GateParams', () => {
    const m = p.masses(NOW)
    expect(m.long).toBeCloseTo(Ml, 12)
    expect(m.short).toBeCloseTo(Ms, 12)
    expect(m.gate).toBeCloseTo(g, 12)
  })
  it('v(f) = g·share_short + (1 − g)·share_long', () => {
    const vLamp = g * (Math.pow(2, -240) / Ms) + (1 - g) * (0.5 / Ml)
    const vSofa = g * (2.5 / Ms) + (1 - g) * ((5 * Math.pow(2, -1 / 240)) / Ml)
    expect(p.weight('category', 'home>lamps', NOW)).toBeCloseTo(vLamp, 12)
    expect(p.weight('category', 'home>sofas', NOW)).toBeCloseTo(vSofa, 12)
    expect(p.weight('category', 'home', NOW)).toBeCloseTo(1, 12) // every unit is under home
    expect(p.weight('brand', 'Lumo', NOW)).toBeCloseTo(vLamp, 12)
    expect(p.weight('price', '25–50', NOW)).toBeCloseTo(vLamp, 12)
    expect(p.weight('price', '250–500', NOW)).toBeCloseTo(vSofa, 12)
    expect(p.weight('item', 'sofa-1', NOW)).toBeCloseTo(vSofa, 12)
    expect(p.weight('brand', 'nobody', NOW)).toBe(0)
  })
  it('scores a candidate as Σ featureWeight·v over its features', () => {
    const fw = DEFAULT_PROFILE_CONFIG.featureWeights
    const vLamp = p.weight('category', 'home>lamps', NOW)
    const cand: Item = { id: 'lamp-2', category: ['home', 'lamps'], brand: 'Lumo', price: 45 }
    const expected = fw.category * (1 + vLamp) + fw.brand * vLamp + fw.price * vLamp
    expect(p.value(cand, NOW)).toBeCloseTo(expected, 12)
    const s = p.score(cand, NOW)
    expect(s.score).toBeCloseTo(expected, 12)
    expect(s.contributions.map((c) => `${c.kind}:${c.key}`)).toEqual(['category:home', 'category:home>lamps', 'brand:Lumo', 'price:25–50'])
  })
  it('the gate moves weight to the short profile as recent activity grows', () => {
    const q = createProfile(config)
    q.add(ev('view_item', NOW - 30 * D, [lamp]))
    const gates: number[] = []
    for (let i = 0; i < 6; i++) {
      q.add(ev('view_item', NOW - 60_000 * i, [sofa]))
      gates.push(q.masses(NOW).gate)
    }
    for (let i = 1; i < gates.length; i++) expect(gates[i] as number).toBeGreaterThan(gates[i - 1] as number)
  })
  it('slope 0 fixes g = sigmoid(bias); a very negative bias leaves the long profile alone', () => {
    const q = buildProfile([ev('view_item', NOW - 10 * D, [lamp]), ev('purchase', NOW - H, [sofa])], { ...config, gate: { bias: -40, slope: 0 } })
    expect(q.masses(NOW).gate).toBeCloseTo(sigmoid(-40), 20)
    expect(q.weight('item', 'lamp-1', NOW)).toBeCloseTo(0.5 / Ml, 12)
  })
})

describe('event weights', () => {
  it('rank purchase > add_to_cart = begin_checkout > add_to_wishlist > select_item > view_item', () => {
    const order: EventType[] = ['purchase', 'add_to_cart', 'add_to_wishlist', 'select_item', 'view_item']
    const p = buildProfile(order.map((type, i) => ev(type, NOW - H, [{ id: `i${i}`, category: [`c${i}`] }])))
    const w = order.map((_, i) => p.weight('category', `c${i}`, NOW))
    for (let i = 1; i < w.length; i++) expect(w[i - 1] as number).toBeGreaterThan(w[i] as number)
    const ew = DEFAULT_PROFILE_CONFIG.eventWeights
    expect(w[0]! / w[4]!).toBeCloseTo(ew.purchase / ew.view_item, 12)
    expect(ew.begin_checkout).toBe(ew.add_to_cart)
  })
  it('remove_from_cart is a negative signal on the removed item', () => {
    const add = buildProfile([ev('add_to_cart', NOW - H, [lamp])])
    const addRemove = buildProfile([ev('add_to_cart', NOW - H, [lamp]), ev('remove_from_cart', NOW - H + 1000, [lamp])])
    const a = add.weight('item', 'lamp-1', NOW)
    const ar = addRemove.weight('item', 'lamp-1', NOW)
    expect(ar).toBeLessThan(a)
    expect(ar).toBeGreaterThan(0) // add + remove still nets positive with the defaults
    const lone = buildProfile([ev('view_item', NOW - H, [sofa]), ev('remove_from_cart', NOW - H, [lamp])])
    expect(lone.weight('item', 'lamp-1', NOW)).toBeLessThan(0)
    expect(lone.top(NOW, 50).some((i) => i.key === 'lamp-1')).toBe(false)
    const s = lone.score(lamp, NOW)
    expect(s.score).toBeLessThan(0)
    expect(s.contributions.at(-1)!.value).toBeLessThan(0) // largest first: negatives last
  })
})

describe('features', () => {
  it('category prefixes keep the same leaf under different parents apart', () => {
    const p = buildProfile([ev('view_item', NOW - H, [{ id: 'x', category: ['home', 'lamps'] }])])
    const garden = p.score({ id: 'y', category: ['garden', 'lamps'] }, NOW)
    expect(garden.score).toBe(0)
    const home = p.score({ id: 'y', category: ['home', 'lamps', 'desk'] }, NOW)
    expect(home.contributions.map((c) => c.key)).toEqual(['home', 'home>lamps'])
  })
  it('search tokens lift candidates whose titles contain them; titles are not profiled', () => {
    const p = buildProfile([ev('view_item', NOW - 2 * H, [lamp]), ev('search', NOW - H, [], 'BRASS Lamp!')])
    expect(
      p
        .top(NOW, 10, 'query')
        .map((i) => i.key)
        .sort(),
    ).toEqual(['brass', 'lamp'])
    const s = p.score({ id: 'z', title: 'Lamp of brass, brass finish' }, NOW)
    expect(s.contributions.map((c) => `${c.kind}:${c.key}`).sort()).toEqual(['query:brass', 'query:lamp'])
    expect(p.score({ id: 'z', title: 'Oak table' }, NOW).score).toBe(0)
    // a view's title words ("desk") are not interests
    expect(p.weight('query', 'desk', NOW)).toBe(0)
  })
  it('price bands use the configured edges', () => {
    const p = buildProfile([ev('view_item', NOW - H, [{ id: 'a', price: 19.99 }])], { priceBands: [20, 40] })
    expect(p.top(NOW, 5, 'price')).toMatchObject([{ key: '<20' }])
    expect(p.score({ id: 'b', price: 0 }, NOW).score).toBeGreaterThan(0)
    expect(p.score({ id: 'b', price: 20 }, NOW).score).toBe(0)
  })
  it('each item of a multi-item event is one unit', () => {
    const p = buildProfile([ev('purchase', NOW - H, [lamp, sofa, { id: 'x' }])])
    expect(p.weight('item', 'lamp-1', NOW)).toBeCloseTo(1 / 3, 12)
    expect(p.weight('category', 'home', NOW)).toBeCloseTo(2 / 3, 12)
    expect(p.top(NOW, 1, 'category')[0]).toMatchObject({ key: 'home', count: 2 })
  })
})

describe('score, value and top', () => {
  const events = [ev('view_item', NOW - 3 * D, [lamp]), ev('view_item', NOW - 2 * D, [{ ...lamp, id: 'lamp-2' }]), ev('add_to_cart', NOW - D, [sofa]), ev('search', NOW - H, [], 'grey sofa')]
  // Pinned (not the defaults, which the evaluator tunes): a weak gate, so the long-term view leads.
  const p = buildProfile(events, { long: { name: 'exponential', halfLifeMs: 30 * D }, short: { name: 'exponential', halfLifeMs: H }, gate: { bias: -2, slope: 1 } })
  const cands: Item[] = [lamp, sofa, { id: 'q', title: 'grey chair', category: ['home'] }, { id: 'none' }]
  it('value equals score.score and the sum of the contributions, largest first', () => {
    for (const c of cands) {
      const s = p.score(c, NOW)
      expect(p.value(c, NOW)).toBeCloseTo(s.score, 12)
      expect(s.contributions.reduce((a, x) => a + x.value, 0)).toBeCloseTo(s.score, 12)
      for (let i = 1; i < s.contributions.length; i++) expect(s.contributions[i - 1]!.value).toBeGreaterThanOrEqual(s.contributions[i]!.value)
    }
  })
  it('scoring does not change the profile', () => {
    const before = JSON.stringify(p.top(NOW, 100))
    for (const c of cands) p.score(c, NOW + 5 * D)
    expect(JSON.stringify(p.top(NOW, 100))).toBe(before)
    expect(p.size).toBe(4)
  })
  it('top returns the strongest interests, by kind, with counts and last-seen times', () => {
    const all = p.top(NOW, 100)
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.weight).toBeGreaterThanOrEqual(all[i]!.weight)
    expect(all[0]).toMatchObject({ kind: 'category', key: 'home', count: 3, lastSeen: NOW - D })
    expect(p.top(NOW, 2)).toHaveLength(2)
    expect(p.top(NOW, 0)).toEqual([])
    expect(p.top(NOW, 10, 'brand').map((i) => i.key)).toEqual(['Sitwell', 'Lumo'])
    expect(p.top(NOW, 10, 'item').every((i) => i.kind === 'item')).toBe(true)
  })
  it('an empty profile scores 0 and has no interests', () => {
    const e = createProfile()
    expect(e.score(lamp, NOW)).toEqual({ score: 0, contributions: [] })
    expect(e.value(lamp, NOW)).toBe(0)
    expect(e.top(NOW, 5)).toEqual([])
    expect(e.size).toBe(0)
  })
  it('tolerates malformed candidates without throwing', () => {
    const bad = [{}, { id: 5 }, { id: 'x', category: 'home' }, { id: 'x', category: [null, 'a'] }, { id: 'x', price: Number.NaN, brand: 3, title: {} }, null]
    for (const c of bad) expect(Number.isFinite(p.value(c as unknown as Item, NOW))).toBe(true)
  })
})

describe('validation', () => {
  it.each([
    [{ long: { name: 'exponential', halfLifeMs: -1 } }, 'profile.long.halfLifeMs'],
    [{ short: { name: 'power', scaleMs: 1, exponent: Number.NaN } }, 'profile.short.exponent'],
    [{ short: { name: 'cosine' } }, 'profile.short.name'],
    [{ eventWeights: { purchase: Number.NaN } }, 'profile.eventWeights.purchase'],
    [{ gate: { slope: Infinity } }, 'profile.gate.slope'],
    [{ featureWeights: { similar: Number.NaN } }, 'profile.featureWeights.similar'],
    [{ priceBands: [10, 20, 20] }, 'profile.priceBands[2]'],
    [{ priceBands: [10, Number.NaN] }, 'profile.priceBands[1]'],
  ])('config %j → ValidationError naming %s', (config, field) => {
    expect(() => createProfile(config as unknown as Partial<ProfileConfig>)).toThrow(expect.objectContaining({ field, code: 'invalid_options' }))
  })
  it('partial nested objects are completed from the defaults', () => {
    const p = createProfile({ eventWeights: { purchase: 9 } as ProfileConfig['eventWeights'] })
    expect(p.config.eventWeights.purchase).toBe(9)
    expect(p.config.eventWeights.view_item).toBe(DEFAULT_PROFILE_CONFIG.eventWeights.view_item)
    expect(Object.isFrozen(p.config.eventWeights)).toBe(true)
  })
  it.each([
    [{ type: 'view_item', items: [lamp], timestamp: Number.NaN }, 'timestamp'],
    [{ type: 'poke', items: [lamp], timestamp: NOW }, 'type'],
    [{ type: 'view_item', items: [lamp, { name: 'x' }], timestamp: NOW }, 'items[1].id'],
  ])('add(%j) throws naming %s and leaves the profile untouched', (bad, field) => {
    const p = buildProfile([ev('view_item', NOW - H, [lamp])])
    const before = JSON.stringify(p.top(NOW, 50))
    expect(() => p.add({ id: 'x', ...bad } as unknown as StoredEvent)).toThrow(expect.objectContaining({ field }))
    expect(() => p.add({ id: 'x', ...bad } as unknown as StoredEvent)).toThrow(ValidationError)
    expect(p.size).toBe(1)
    expect(JSON.stringify(p.top(NOW, 50))).toBe(before)
  })
})

const TYPES: EventType[] = ['view_item', 'select_item', 'add_to_cart', 'remove_from_cart', 'add_to_wishlist', 'begin_checkout', 'purchase', 'search']
function randomEvents(r: () => number, n: number, t0: number, span: number): StoredEvent[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)] as T
  const cats = [['home'], ['home', 'lamps'], ['garden', 'lamps'], ['home', 'lamps', 'desk'], ['toys']]
  const out: StoredEvent[] = []
  for (let i = 0; i < n; i++) {
    const type = pick(TYPES)
    const items: Item[] = []
    const k = type === 'search' ? (r() < 0.2 ? 1 : 0) : 1 + Math.floor(r() * 3)
    for (let j = 0; j < k; j++) {
      const it: Item = { id: `i${Math.floor(r() * 12)}` }
      if (r() < 0.8) it.category = pick(cats)
      if (r() < 0.6) it.brand = pick(['A', 'B', 'C'])
      if (r() < 0.7) it.price = Math.floor(r() * 1500)
      items.push(it)
    }
    const t = t0 + Math.floor(r() * span)
    out.push(ev(type, t, items, type === 'search' ? pick(['red lamp', 'Lamp', 'garden light', 'a', 'レッド ランプ']) : undefined))
  }
  return out
}

const KERNELS: KernelSpec[] = [
  { name: 'exponential', halfLifeMs: 3 * D },
  { name: 'exponential', halfLifeMs: H },
  { name: 'linear', horizonMs: 20 * D },
  { name: 'window', windowMs: 5 * D },
  { name: 'power', scaleMs: 2 * H, exponent: 0.8 },
  { name: 'none' },
]

describe('incremental == recomputation from scratch (relative 1e-9), every kernel', () => {
  for (const long of KERNELS) {
    const short = KERNELS[(KERNELS.indexOf(long) + 1) % KERNELS.length] as KernelSpec
    it(`long ${long.name}${JSON.stringify(long).match(/\d+/)?.[0] ?? ''} / short ${short.name}`, () => {
      let compared = 0
      for (let seed = 1; seed <= 25; seed++) {
        const r = rng(seed * 101)
        const t0 = NOW - 30 * D
        const events = randomEvents(r, 5 + Math.floor(r() * 60), t0, 30 * D)
        const config: Partial<ProfileConfig> = { long, short, gate: { bias: -1, slope: 0.7 } }
        const p = createProfile(config)
        // fold one at a time, checking along the way (the profile's caches must follow)
        for (let i = 0; i < events.length; i++) {
          p.add(events[i] as StoredEvent)
          if (i % 7 !== 0 && i !== events.length - 1) continue
          const hist = events.slice(0, i + 1)
          for (const now of [NOW, NOW - 15 * D, NOW + 200 * D]) {
            const ref = recompute(hist, config, now)
            const m = p.masses(now)
            expect(close(m.long, ref.long.mass, 1e-9)).toBe(true)
            expect(close(m.short, ref.short.mass, 1e-9)).toBe(true)
            expect(close(m.gate, ref.gate, 1e-9)).toBe(true)
            for (const [f, v] of ref.fused) {
              const [kind, key] = f.split('\u0000') as [never, string]
              const got = p.weight(kind, key, now)
              expect(close(got, v.value, 1e-9, v.abs), `seed ${seed} ${f} at ${now}: ${got} vs ${v.value}`).toBe(true)
              compared++
            }
            // and the features the reference does not know are 0 in the profile
            expect(p.top(now, 1e9).every((x) => ref.fused.has(fkey(x.kind, x.key)))).toBe(true)
          }
        }
      }
      expect(compared).toBeGreaterThan(1000)
    })
  }
})
