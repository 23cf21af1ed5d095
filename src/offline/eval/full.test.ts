import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rankCandidates } from '../../rank'
import type { Candidate } from '../../rank/types'
import { loadEventLog } from '../data/eventlog'
import { writeSyntheticShop } from '../data/synthetic-cli'
import type { Dataset } from '../data/types'
import { Bootstrap } from '../metrics/bootstrap'
import { createContext, type BuiltContext } from './context'
import { rankAll, scoresOf } from './full'
import { cooccurrence, recency } from './models/baselines'
import { FULL_SCORER_MIN, profileModel } from './models/profile'
import { fullOrder, fullSample, runEvaluation, summarise } from './run'
import type { ModelSpec } from './types'

let dir: string
let ds: Dataset
let ctx: BuiltContext

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lr-full-'))
  // 4,000 products: whole-catalogue lists are over FULL_SCORER_MIN, so the fast scorers run.
  writeSyntheticShop({ products: 4_000, users: 700, seed: 11 }, dir)
  ds = loadEventLog(join(dir, 'events.csv'), { items: join(dir, 'items.csv') })
  ctx = createContext(ds, { seed: 5 })
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Every evaluated user's full test list (server order), with the universe indices. */
function fullLists(limit: number) {
  const universe = ctx.split.universe
  const index = new Map(universe.map((id, i) => [id, i]))
  const order = fullOrder(universe, ctx.popularity, ctx.seed, 'test')
  const cand = (i: number): Candidate => ({ ...(ds.items.get(universe[i]!) ?? { id: universe[i]! }), score: ctx.popularity(universe[i]!) })
  return ctx.split.users
    .filter((u) => u.test && u.val)
    .slice(0, limit)
    .map((u) => {
      const keep = Array.from(order).filter((i) => universe[i] === u.test!.itemId || !u.interacted.has(universe[i]!))
      const list = keep.map(cand)
      return { u, list, hint: { universe: Int32Array.from(keep), server: Float64Array.from(list, (c) => c.score ?? 0) }, index }
    })
}

/** Scores of one model for each list: with the hint (fast path) and without (the ranker on the whole list). */
async function both(spec: ModelSpec, limit = 40) {
  const scorer = spec.create(ctx)
  const out: Array<{ fast: Float64Array; ranker: Float64Array }> = []
  for (const { u, list, hint } of fullLists(limit)) {
    expect(list.length).toBeGreaterThanOrEqual(FULL_SCORER_MIN)
    const a = scorer.session(u)
    const b = scorer.session(u)
    for (let k = 0; k < u.test!.index; k++) a.add(u.events[k]!), b.add(u.events[k]!)
    const now = u.test!.event.timestamp
    out.push({ fast: await a.score(list, now, hint), ranker: await b.score(list, now) })
  }
  return out
}

describe('full ranking at shop scale', () => {
  it('the data exercise every profile feature: searches, repeats, brands, several category levels', () => {
    const events = ds.users.flatMap((u) => u.events)
    expect(events.some((e) => typeof e.query === 'string' && e.query.length > 0)).toBe(true)
    expect(ctx.split.users.some((u) => u.test && u.events.slice(0, u.test.index).some((e) => e.items[0]?.id === u.test!.itemId))).toBe(true)
    expect([...ds.items.values()].every((it) => it.brand && it.category!.length === 3 && it.price! > 0)).toBe(true)
    expect(ctx.artifact().table.size).toBeGreaterThan(100)
  })

  for (const [label, spec] of [
    ['library defaults + similarity table', profileModel({ name: 'p', description: '' })],
    ['no similarity table', profileModel({ name: 'p', description: '', similarity: false })],
    [
      'linear kernel, log server scores, other weights',
      profileModel({
        name: 'p',
        description: '',
        profile: { long: { name: 'linear', horizonMs: 9e8 }, featureWeights: { category: 0.3, brand: 2, price: 0.1, query: 3 } },
        ranker: { weights: { server: 0.7, profile: 2.5, encoder: 1 }, serverTransform: 'log' },
      }),
    ],
  ] as const) {
    it(`profile scores over the whole catalogue equal the ranker's, bit for bit (${label})`, async () => {
      const rows = await both(spec)
      let nonzero = 0
      for (const r of rows) {
        expect(Array.from(r.fast)).toEqual(Array.from(r.ranker))
        if (r.fast.some((v) => v !== r.fast[0])) nonzero++
      }
      // The lists really were personalised (not all server order).
      expect(nonzero).toBe(rows.length)
    })
  }

  it('co-occurrence and recency baselines give the same scores with the whole-catalogue shortcuts', async () => {
    for (const spec of [cooccurrence('all'), cooccurrence('last'), recency(5)]) {
      const rows = await both(spec, 25)
      for (const r of rows) expect(Array.from(r.fast)).toEqual(Array.from(r.ranker))
      expect(rows.some((r) => r.fast.some((v) => v !== r.fast[0]))).toBe(true)
    }
  })

  it('the full-protocol user sample is seeded, of the asked size, order-free, and nested as it grows', () => {
    const users = Array.from({ length: 500 }, (_, i) => `u${i}`)
    const a = fullSample(users, 50, 9)
    expect(a.reduce((s, x) => s + x, 0)).toBe(50)
    expect(fullSample(users, 50, 9)).toEqual(a)
    expect(fullSample(users, 50, 10)).not.toEqual(a)
    const rev = fullSample([...users].reverse(), 50, 9)
    expect(users.filter((_, i) => a[i])).toEqual(
      [...users]
        .reverse()
        .filter((_, i) => rev[i])
        .reverse(),
    )
    const b = fullSample(users, 120, 9)
    expect(users.every((_, i) => !a[i] || b[i])).toBe(true)
    expect(fullSample(users, 900, 9).every((x) => x === 1)).toBe(true)
  })

  it('rankAll ranks lists past the page guard of 10,000, checked piece by piece', () => {
    const big: Candidate[] = Array.from({ length: 23_456 }, (_, i) => ({ id: `x${i}`, score: (i * 7919) % 1000, category: [`c${i % 13}`] }))
    big.push({ id: 'x5', score: 1 }) // a duplicate in a later piece: dropped, as the ranker drops duplicates
    const res = rankAll(big, { now: 0 }, { explain: false })
    expect(res.items).toHaveLength(23_456)
    expect(res.issues).toEqual([expect.objectContaining({ index: 23_456, action: 'dropped' })])
    expect(rankCandidates(big, { now: 0 }, { explain: false }).items).toHaveLength(10_000)
    const small = big.slice(0, 500)
    expect(scoresOf(rankAll(small, { now: 0 }, { explain: false }), 500)).toEqual(scoresOf(rankCandidates(small, { now: 0 }, { explain: false }), 500))
  })

  it('the full protocol runs over a catalogue larger than the guard, for the profile rows', async () => {
    // 20,000 products: the universe (items with traffic) is above 10,000.
    const d2 = mkdtempSync(join(tmpdir(), 'lr-full12k-'))
    try {
      writeSyntheticShop({ products: 20_000, users: 6_000, seed: 3 }, d2)
      const big = loadEventLog(join(d2, 'events.csv'), { items: join(d2, 'items.csv') })
      const c2 = createContext(big, { seed: 1 })
      expect(c2.split.universe.length).toBeGreaterThan(10_000)
      const r = await runEvaluation(c2, [profileModel({ name: 'profile', description: '' })], { protocols: ['full'], phases: ['test'], limitUsers: 30 })
      const s = summarise(r, c2.split.universe.length, new Bootstrap(r.users.length, 20, 1))
      expect(s[0]!.users).toBe(30)
      expect(s[0]!.metrics['NDCG@10']!.mean).toBeGreaterThan(0)
    } finally {
      rmSync(d2, { recursive: true, force: true })
    }
  })
})
