import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadEventLog } from './eventlog'
import { writeSyntheticShop } from './synthetic-cli'
import { Permutation, SyntheticShop, zipfIndex } from './synthetic'

describe('synthetic shop: determinism', () => {
  it('the same seed gives the same catalogue and traffic; another seed does not', () => {
    const a = new SyntheticShop({ products: 5_000, users: 200, seed: 7 })
    const b = new SyntheticShop({ products: 5_000, users: 200, seed: 7 })
    const c = new SyntheticShop({ products: 5_000, users: 200, seed: 8 })
    for (const i of [0, 1, 17, 2_500, 4_999]) expect(b.product(i)).toEqual(a.product(i))
    expect([...b.events()]).toEqual([...a.events()])
    expect(Array.from(b.rankOf)).toEqual(Array.from(a.rankOf))
    const differs = [0, 1, 2, 3, 4].filter((i) => JSON.stringify(c.product(i)) !== JSON.stringify(a.product(i)))
    expect(differs.length).toBeGreaterThan(3)
    expect(JSON.stringify(c.userEvents(0))).not.toBe(JSON.stringify(a.userEvents(0)))
  })

  it('a product and a visitor are random-access: the same whatever was generated before', () => {
    const a = new SyntheticShop({ products: 3_000, users: 50, seed: 3 })
    const late = a.product(2_999)
    const u9 = a.userEvents(9)
    const b = new SyntheticShop({ products: 3_000, users: 50, seed: 3 })
    for (let i = 0; i < 3_000; i++) b.product(i)
    for (let u = 0; u < 9; u++) b.userEvents(u)
    expect(b.product(2_999)).toEqual(late)
    expect(b.userEvents(9)).toEqual(u9)
    expect(a.indexOf('p2999')).toBe(2_999)
    expect(a.indexOf('p3000')).toBeNull()
    expect(a.indexOf('p01')).toBeNull()
  })

  it('the popularity permutation is a bijection on [0, n) for sizes that are not powers of two', () => {
    for (const n of [1, 2, 5, 1_000, 12_345]) {
      const p = new Permutation(n, 99)
      const seen = new Uint8Array(n)
      for (let i = 0; i < n; i++) seen[p.at(i)]!++
      expect(seen.every((x) => x === 1)).toBe(true)
    }
  })

  it('productAtRank inverts rankOf: the best sellers can be listed without sorting the catalogue', () => {
    const shop = new SyntheticShop({ products: 12_345, seed: 5 })
    for (let r = 0; r < shop.products; r++) expect(shop.rankOf[shop.productAtRank(r)]).toBe(r)
    // Rank 0 is the product whose leaf list starts with it in rank order.
    const top = shop.product(shop.productAtRank(0))
    expect(top.rank).toBe(0)
    expect(shop.leafProducts(top.leaf)[0]).toBe(top.index)
  })

  it('the written files are byte-identical across runs and load through the event-log loader', () => {
    const d1 = mkdtempSync(join(tmpdir(), 'lr-synth-'))
    const d2 = mkdtempSync(join(tmpdir(), 'lr-synth-'))
    try {
      const s1 = writeSyntheticShop({ products: 2_000, users: 300, seed: 5 }, d1, true)
      writeSyntheticShop({ products: 2_000, users: 300, seed: 5 }, d2, true)
      for (const f of ['items.csv', 'events.csv', 'items-touched.csv']) expect(readFileSync(join(d2, f)).equals(readFileSync(join(d1, f)))).toBe(true)
      const ds = loadEventLog(join(d1, 'events.csv'), { items: join(d1, 'items.csv') })
      expect(ds.reports.every((r) => r.malformed === 0)).toBe(true)
      expect(ds.items.size).toBe(2_000)
      expect(ds.unknownItems).toBe(0)
      expect(ds.users.length).toBe(300)
      expect(ds.users.reduce((a, u) => a + u.events.length, 0)).toBe(s1.events)
      const p = ds.items.get('p42')!
      const want = new SyntheticShop({ products: 2_000, users: 300, seed: 5 }).product(42)
      expect(p).toEqual({ id: 'p42', title: want.title, category: want.category, brand: want.brand, price: want.price })
      const touched = loadEventLog(join(d1, 'events.csv'), { items: join(d1, 'items-touched.csv') })
      expect(touched.items.size).toBe(s1.touchedProducts)
      expect(touched.unknownItems).toBe(0)
    } finally {
      rmSync(d1, { recursive: true, force: true })
      rmSync(d2, { recursive: true, force: true })
    }
  })
})

describe('synthetic shop: shape', () => {
  const shop = new SyntheticShop({ products: 10_000, users: 3_000, seed: 1 })
  const events = [...shop.events()]

  it('product popularity is a power law: the top 1% of products take far more than 1% of views', () => {
    const views = new Map<string, number>()
    for (const e of events) if (e.type === 'view_item') views.set(e.item, (views.get(e.item) ?? 0) + 1)
    const counts = [...views.values()].sort((a, b) => b - a)
    const total = counts.reduce((a, b) => a + b, 0)
    const share = (top: number) => counts.slice(0, top).reduce((a, b) => a + b, 0) / total
    // Uniform traffic would give 0.01 and 0.10; a shop log's head is much heavier.
    expect(share(100)).toBeGreaterThan(0.12)
    expect(share(1_000)).toBeGreaterThan(0.45)
    // …and the tail is long: most of the catalogue is viewed rarely or never.
    const once = counts.filter((c) => c <= 2).length
    expect(once + (shop.products - counts.length)).toBeGreaterThan(shop.products * 0.5)
    // Rank–frequency on log–log axes falls (slope between ranks 10 and 1,000 is clearly negative).
    const slope = (Math.log(counts[999]!) - Math.log(counts[9]!)) / (Math.log(1000) - Math.log(10))
    expect(slope).toBeLessThan(-0.3)
  })

  it('Zipf draws favour low indices as 1/(k+1)', () => {
    let low = 0
    const n = 1_000
    for (let k = 0; k < 20_000; k++) if (zipfIndex((k + 0.5) / 20_000, n) < 10) low++
    // P(k < 10) = ln(11)/ln(1001) ≈ 0.347 for the continuous law
    expect(low / 20_000).toBeCloseTo(Math.log(11) / Math.log(1001), 2)
  })

  it('sessions are multi-event and mix event types; the funnel narrows view → cart → purchase', () => {
    const byType = new Map<string, number>()
    for (const e of events) byType.set(e.type, (byType.get(e.type) ?? 0) + 1)
    for (const t of ['view_item', 'select_item', 'add_to_cart', 'purchase', 'search']) expect(byType.get(t) ?? 0).toBeGreaterThan(0)
    expect(byType.get('view_item')!).toBeGreaterThan(byType.get('add_to_cart')! * 5)
    expect(byType.get('add_to_cart')!).toBeGreaterThan(byType.get('purchase')!)
    const perUser = new Map<string, number>()
    for (const e of events) perUser.set(e.user, (perUser.get(e.user) ?? 0) + 1)
    const multi = [...perUser.values()].filter((n) => n >= 3).length
    expect(multi / shop.users).toBeGreaterThan(0.6)
    // Every search carries its query, other events their item; times never go backwards.
    for (const e of events) expect(e.type === 'search' ? e.text.length > 0 && e.item === '' : e.item !== '').toBe(true)
    for (let u = 0; u < 200; u++) {
      const ev = shop.userEvents(u)
      for (let k = 1; k < ev.length; k++) expect(ev[k]!.timestamp).toBeGreaterThanOrEqual(ev[k - 1]!.timestamp)
    }
  })

  it('a session stays mostly in one category: consecutive views share a leaf far above chance', () => {
    let same = 0
    let pairs = 0
    for (let u = 0; u < shop.users; u++) {
      const views = shop.userEvents(u).filter((e) => e.type === 'view_item')
      for (let k = 1; k < views.length; k++) {
        if (views[k]!.timestamp - views[k - 1]!.timestamp > 3600) continue
        pairs++
        if (shop.leafOf[shop.indexOf(views[k]!.item)!] === shop.leafOf[shop.indexOf(views[k - 1]!.item)!]) same++
      }
    }
    // 160 leaves: chance agreement is a few percent.
    expect(same / pairs).toBeGreaterThan(0.7)
  })

  it('the catalogue has a category tree, brands per department and plausible prices', () => {
    expect(shop.leaves.length).toBe(156)
    const depts = new Set(shop.leaves.map((l) => l.path[0]))
    expect(depts.size).toBe(10)
    const p = [...Array(2_000).keys()].map((i) => shop.product(i))
    expect(new Set(p.map((x) => x.brand)).size).toBeGreaterThan(50)
    for (const x of p) {
      expect(x.category).toHaveLength(3)
      expect(x.price).toBeGreaterThan(0)
      expect(x.title.startsWith(x.brand)).toBe(true)
    }
    // The same brand never spans departments.
    const deptOfBrand = new Map<string, string>()
    for (const x of p) {
      const d = deptOfBrand.get(x.brand)
      if (d) expect(d).toBe(x.category[0])
      else deptOfBrand.set(x.brand, x.category[0]!)
    }
    // Leaf lists are in popularity order and partition the catalogue.
    let total = 0
    for (let l = 0; l < shop.leaves.length; l++) {
      const list = shop.leafProducts(l)
      total += list.length
      for (let k = 1; k < list.length; k++) expect(shop.rankOf[list[k]!]!).toBeGreaterThan(shop.rankOf[list[k - 1]!]!)
    }
    expect(total).toBe(shop.products)
  })
})
