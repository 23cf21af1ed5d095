import { describe, expect, it } from 'vitest'
import type { EventType, Item, StoredEvent } from '../../events/types'
import type { Dataset } from '../data/types'
import { samplePopularity, samplePopularityFast } from './candidates'
import { rngFor } from './prng'
import { caseFor, historyItems, SESSION_GAP_MS, shopHeldOut } from './shop'
import { leaveOneOut } from './split'

const MIN = 60 * 1000
let seq = 0
const ev = (item: string, t: number, type: EventType = 'view_item'): StoredEvent => ({ id: `e${seq++}`, type, items: [{ id: item }], timestamp: t })

/** A catalogue of 3 departments × 4 leaves × 30 items; leaf "d0 > l0" is small (6 items). */
function catalogue(): Map<string, Item> {
  const items = new Map<string, Item>()
  for (let d = 0; d < 3; d++)
    for (let l = 0; l < 4; l++) {
      const n = d === 0 && l === 0 ? 6 : 30
      for (let k = 0; k < n; k++) {
        const id = `d${d}l${l}i${k}`
        items.set(id, { id, category: [`d${d}`, `l${l}`] })
      }
    }
  return items
}

function dataset(users: Record<string, StoredEvent[]>, items = catalogue()): Dataset {
  // Background traffic so every catalogue item is in the universe (and has popularity).
  const bg: StoredEvent[] = [...items.keys()].map((id, i) => ev(id, i))
  return {
    name: 'shop-fixture',
    files: [],
    items,
    meta: new Map(),
    users: [{ id: 'bg', events: bg }, ...Object.entries(users).map(([id, events]) => ({ id, events }))],
    reports: [],
    unknownItems: 0,
    eventMapping: 'implicit',
  }
}

const T = 1_700_000_000_000

describe('shop protocols', () => {
  it('session: only targets whose previous interaction is within the session gap; repeats allowed', () => {
    const ds = dataset({
      // val (d1l1i1) 1 min after the previous one; test is a repeat of d1l1i0, 2 min later.
      inSession: [ev('d1l1i0', T), ev('d1l1i1', T + MIN), ev('d1l1i0', T + 3 * MIN)],
      // 2 h gap before the test item: a new session, not a `session` target.
      newSession: [ev('d2l1i0', T), ev('d2l1i1', T + MIN), ev('d2l1i2', T + MIN + SESSION_GAP_MS + 1)],
    })
    const split = leaveOneOut(ds)
    const u = split.users.find((x) => x.user === 'inSession')!
    const v = split.users.find((x) => x.user === 'newSession')!
    const test = caseFor(split, u, 'test', 'session', 7)!
    expect(test.target).toBe('d1l1i0')
    expect(test.repeat).toBe(true)
    expect(test.ids.filter((x) => x === 'd1l1i0')).toHaveLength(1)
    expect(test.ids).toHaveLength(101)
    // Repeats allowed: the other history item may be a negative; only the target is excluded.
    expect(caseFor(split, u, 'val', 'session', 7)!.target).toBe('d1l1i1')
    expect(caseFor(split, v, 'test', 'session', 7)).toBeNull()
    expect(caseFor(split, v, 'val', 'session', 7)!.target).toBe('d2l1i1')
  })

  it('session-new: repeat targets are dropped, and no history item is a negative', () => {
    const hist = Array.from({ length: 40 }, (_, k) => ev(`d2l${k % 4}i${k}`, T + k * MIN))
    const ds = dataset({
      repeat: [...hist, ev('d1l0i0', T + 50 * MIN), ev('d2l0i0', T + 51 * MIN)],
      fresh: [...hist, ev('d1l0i0', T + 50 * MIN), ev('d1l2i5', T + 51 * MIN)],
    })
    const split = leaveOneOut(ds)
    const rep = split.users.find((x) => x.user === 'repeat')!
    const fresh = split.users.find((x) => x.user === 'fresh')!
    expect(caseFor(split, rep, 'test', 'session-new', 1)).toBeNull()
    expect(caseFor(split, rep, 'test', 'session', 1)).not.toBeNull()
    for (let seed = 0; seed < 20; seed++) {
      const c = caseFor(split, fresh, 'test', 'session-new', seed)!
      const before = historyItems(fresh, c.held.index)
      expect(c.repeat).toBe(false)
      expect(before.has(c.target)).toBe(false)
      expect(c.ids.filter((x) => before.has(x))).toEqual([])
      expect(c.ids).toHaveLength(101)
      // With `session` (any item) the 41 history items are popular enough to be drawn.
    }
    const any = Array.from({ length: 20 }, (_, s) => caseFor(split, fresh, 'test', 'session', s)!)
    expect(any.some((c) => c.ids.some((x) => x !== c.target && historyItems(fresh, c.held.index).has(x)))).toBe(true)
  })

  it('cart: targets are add_to_cart or purchase events, predicted from the events before them', () => {
    const ds = dataset({
      buyer: [ev('d0l1i0', T), ev('d0l1i1', T + MIN), ev('d0l1i2', T + 2 * MIN, 'add_to_cart'), ev('d0l1i2', T + 3 * MIN, 'purchase')],
      viewer: [ev('d0l1i0', T), ev('d0l1i1', T + MIN), ev('d0l1i2', T + 2 * MIN, 'add_to_cart'), ev('d0l1i3', T + 3 * MIN)],
    })
    const split = leaveOneOut(ds)
    const b = split.users.find((x) => x.user === 'buyer')!
    const v = split.users.find((x) => x.user === 'viewer')!
    const t = caseFor(split, b, 'test', 'cart', 3)!
    expect(t.held.event.type).toBe('purchase')
    expect(caseFor(split, b, 'val', 'cart', 3)!.held.event.type).toBe('add_to_cart')
    expect(caseFor(split, v, 'test', 'cart', 3)).toBeNull()
    expect(caseFor(split, v, 'val', 'cart', 3)!.target).toBe('d0l1i2')
  })

  it('category: negatives come from the target’s own leaf, or its department when the leaf is too small', () => {
    const hist = [ev('d1l2i0', T), ev('d1l2i1', T + MIN)]
    const ds = dataset({
      leaf: [...hist, ev('d1l2i2', T + 2 * MIN), ev('d1l3i7', T + 3 * MIN)],
      // d0 > l0 has 6 items: fewer than 20 negatives, so the department d0 is used.
      small: [...hist, ev('d1l2i2', T + 2 * MIN), ev('d0l0i3', T + 3 * MIN)],
    })
    const split = leaveOneOut(ds)
    const leaf = split.users.find((x) => x.user === 'leaf')!
    const small = split.users.find((x) => x.user === 'small')!
    const c = caseFor(split, leaf, 'test', 'category', 5, { negatives: 20 })!
    expect(c.level).toBe('d1 > l3')
    expect(c.ids).toHaveLength(21)
    expect(c.ids.every((id) => id.startsWith('d1l3'))).toBe(true)
    // With 40 negatives the 30-item leaf is too small: the department.
    const wide = caseFor(split, leaf, 'test', 'category', 5, { negatives: 40 })!
    expect(wide.level).toBe('d1')
    expect(wide.ids.every((id) => id.startsWith('d1'))).toBe(true)
    expect(wide.ids.some((id) => !id.startsWith('d1l3'))).toBe(true)
    // Never an item the user interacted with.
    expect(wide.ids.filter((id) => leaf.interacted.has(id) && id !== wide.target)).toEqual([])
    const s = caseFor(split, small, 'test', 'category', 5, { negatives: 20 })!
    expect(s.level).toBe('d0')
    expect(s.ids.every((id) => id.startsWith('d0'))).toBe(true)
    expect(s.ids.some((id) => !id.startsWith('d0l0'))).toBe(true)
  })

  it('no target leaks into its own history, under any protocol', () => {
    const ds = dataset({
      a: [ev('d1l1i0', T), ev('d1l1i1', T + MIN), ev('d1l1i2', T + 2 * MIN, 'add_to_cart'), ev('d1l1i2', T + 3 * MIN, 'purchase')],
      b: [ev('d2l1i0', T), ev('d2l1i0', T + MIN), ev('d2l1i3', T + 2 * MIN)],
    })
    const split = leaveOneOut(ds)
    for (const u of split.users)
      for (const phase of ['val', 'test'] as const)
        for (const p of ['session', 'session-new', 'cart', 'category', 'uniform'] as const) {
          const h = shopHeldOut(u, phase, p)
          if (!h) continue
          const history = u.events.slice(0, h.index)
          expect(history.includes(h.event)).toBe(false)
          expect(history.every((e) => e.timestamp <= h.event.timestamp)).toBe(true)
          // Phase val never sees the test event, and the held-out events are after training.
          expect(h.index).toBeGreaterThanOrEqual(u.trainEnd)
          if (phase === 'val' && u.test) expect(h.index).toBeLessThan(u.test.index)
        }
  })
})

describe('popularity sampling at scale', () => {
  it('successive draws give the key scan’s distribution, never excluded or weight-0 items', () => {
    const users: Record<string, StoredEvent[]> = {}
    // Item j gets (j % 10) + 1 background interactions; "zero" none beyond the universe entry.
    const items = new Map<string, Item>()
    for (let j = 0; j < 60; j++) items.set(`d0l0i${j}`, { id: `d0l0i${j}` })
    const ds = dataset(users, items)
    for (let j = 0; j < 60; j++) for (let r = 0; r < j % 10; r++) ds.users[0]!.events.push(ev(`d0l0i${j}`, 1000 + j * 10 + r))
    const split = leaveOneOut(ds)
    const exclude = new Set(['d0l0i9', 'd0l0i19'])
    const fast = new Map<string, number>()
    const keys = new Map<string, number>()
    const R = 3000
    for (let s = 0; s < R; s++) {
      for (const id of samplePopularityFast(split, exclude, 5, rngFor(s, 'f'))) fast.set(id, (fast.get(id) ?? 0) + 1)
      for (const id of samplePopularity(split.universe, split.allPopularity, exclude, 5, rngFor(s, 'k'))) keys.set(id, (keys.get(id) ?? 0) + 1)
    }
    expect(fast.get('d0l0i9')).toBeUndefined()
    expect(fast.get('d0l0i19')).toBeUndefined()
    // Inclusion frequencies agree within sampling noise (binomial sd ≤ √(R/4) ≈ 27).
    let worst = 0
    for (const id of split.universe) worst = Math.max(worst, Math.abs((fast.get(id) ?? 0) - (keys.get(id) ?? 0)))
    expect(worst).toBeLessThan(5 * Math.sqrt(R / 4) * Math.SQRT2)
    // Heavier items are drawn more often (weight 10 vs 1).
    expect(fast.get('d0l0i8')!).toBeGreaterThan(3 * (fast.get('d0l0i0') ?? 0))
    // A user who excluded almost everything still gets every remaining item (the exact fallback).
    const most = new Set(split.universe.slice(3))
    expect(samplePopularityFast(split, most, 10, rngFor(1, 'x')).sort()).toEqual(split.universe.slice(0, 3).sort())
  })
})
