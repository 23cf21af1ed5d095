import { describe, expect, it } from 'vitest'
import type { StoredEvent } from '../../events/types'
import type { Dataset } from '../data/types'
import { candidatesFor, samplePopularity, sampleUniform } from './candidates'
import { mulberry32, rngFor } from './prng'
import { leaveOneOut } from './split'

const universe = Array.from({ length: 500 }, (_, i) => `i${i}`)

describe('seeded negative sampling', () => {
  it('gives the same uniform negatives twice for the same seed, and different ones for another', () => {
    const exclude = new Set(['i1', 'i2', 'i3'])
    const a = sampleUniform(universe, exclude, 100, rngFor(7, 'u1'))
    const b = sampleUniform(universe, exclude, 100, rngFor(7, 'u1'))
    const c = sampleUniform(universe, exclude, 100, rngFor(8, 'u1'))
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
    expect(new Set(a).size).toBe(100)
    expect(a.some((x) => exclude.has(x))).toBe(false)
  })

  it('returns every available item when fewer than n remain', () => {
    const small = ['a', 'b', 'c', 'd']
    expect(sampleUniform(small, new Set(['a']), 10, mulberry32(1)).sort()).toEqual(['b', 'c', 'd'])
  })

  it('draws popularity negatives in proportion to weight, never weight 0 or excluded items', () => {
    const weight = new Map(universe.map((id, i) => [id, i < 10 ? 100 : i < 20 ? 0 : 1]))
    const exclude = new Set(['i0'])
    const counts = new Map<string, number>()
    for (let s = 0; s < 200; s++) for (const id of samplePopularity(universe, weight, exclude, 20, rngFor(s, 'p'))) counts.set(id, (counts.get(id) ?? 0) + 1)
    expect(counts.get('i0')).toBeUndefined()
    for (let i = 10; i < 20; i++) expect(counts.get(`i${i}`)).toBeUndefined()
    // The 9 heavy items are drawn almost every time; a light item rarely.
    expect(counts.get('i5')!).toBeGreaterThan(150)
    expect((counts.get('i300') ?? 0) < 40).toBe(true)
    expect(samplePopularity(universe, weight, exclude, 20, rngFor(3, 'p'))).toEqual(samplePopularity(universe, weight, exclude, 20, rngFor(3, 'p')))
  })

  it('builds per-user candidate lists that are reproducible, exclude the history and hold the target once', () => {
    let k = 0
    const ev = (item: string, t: number): StoredEvent => ({ id: `e${k++}`, type: 'view_item', items: [{ id: item }], timestamp: t })
    const users = Array.from({ length: 30 }, (_, u) => ({ id: `u${u}`, events: Array.from({ length: 5 }, (_, j) => ev(`i${(u * 7 + j * 13) % 300}`, j)) }))
    const ds: Dataset = { name: 'f', files: [], items: new Map(), meta: new Map(), users, reports: [], unknownItems: 0, eventMapping: '' }
    const split = leaveOneOut(ds)
    const u = split.users[3]!
    for (const protocol of ['uniform', 'popularity', 'full'] as const) {
      const a = candidatesFor(split, u, 'test', protocol, 42)!
      const b = candidatesFor(split, u, 'test', protocol, 42)!
      expect(a).toEqual(b)
      expect(a.ids.filter((x) => x === u.test!.itemId)).toHaveLength(1)
      expect(a.ids.filter((x) => u.interacted.has(x) && x !== a.target)).toEqual([])
    }
    expect(candidatesFor(split, u, 'test', 'uniform', 42)!.ids).toHaveLength(101)
    expect(candidatesFor(split, u, 'test', 'full', 42)!.ids).toHaveLength(split.universe.length - u.interacted.size + 1)
    expect(candidatesFor(split, u, 'val', 'uniform', 42)!.target).toBe(u.val!.itemId)
    // Another user's negatives do not depend on which users are evaluated (streams keyed by user id).
    expect(candidatesFor(split, split.users[4]!, 'test', 'uniform', 42)).toEqual(candidatesFor(split, split.users[4]!, 'test', 'uniform', 42))
  })
})
