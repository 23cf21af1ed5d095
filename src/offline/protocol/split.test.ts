import { describe, expect, it } from 'vitest'
import type { StoredEvent } from '../../events/types'
import type { Dataset } from '../data/types'
import { leaveOneOut, splitUser, trainEvents } from './split'

let seq = 0
const ev = (item: string | null, t: number, query?: string): StoredEvent => {
  const e: StoredEvent = { id: `e${seq++}`, type: item ? 'view_item' : 'search', items: item ? [{ id: item }] : [], timestamp: t }
  if (query) e.query = query
  return e
}

function dataset(users: Record<string, StoredEvent[]>): Dataset {
  return {
    name: 'fixture',
    files: [],
    items: new Map(),
    meta: new Map(),
    users: Object.entries(users).map(([id, events]) => ({ id, events })),
    reports: [],
    unknownItems: 0,
    eventMapping: 'implicit',
  }
}

describe('leave-one-out split', () => {
  it('sorts by time, keeps file order for ties, and holds out the last two interactions', () => {
    // File order a(t=5), b(t=1), c(t=5), d(t=9), e(t=5): sorted b, a, c, e, d (a, c, e tie at 5 in file order).
    const u = splitUser('u', [ev('a', 5), ev('b', 1), ev('c', 5), ev('d', 9), ev('e', 5)])
    expect(u.events.map((e) => e.items[0]!.id)).toEqual(['b', 'a', 'c', 'e', 'd'])
    expect(u.test!.itemId).toBe('d')
    expect(u.val!.itemId).toBe('e')
    expect(trainEvents(u).map((e) => e.items[0]!.id)).toEqual(['b', 'a', 'c'])
    expect([...u.interacted].sort()).toEqual(['a', 'b', 'c', 'd', 'e'])
  })

  it('ties at the very end decide test and validation by file order', () => {
    const u = splitUser('u', [ev('x', 1), ev('late1', 7), ev('late2', 7), ev('late3', 7)])
    expect(u.val!.itemId).toBe('late2')
    expect(u.test!.itemId).toBe('late3')
  })

  it('sends users with fewer than 3 interactions to training only', () => {
    const s = leaveOneOut(dataset({ two: [ev('a', 1), ev('b', 2)], three: [ev('a', 1), ev('b', 2), ev('c', 3)], searchy: [ev('a', 1), ev(null, 2, 'q'), ev('b', 3)] }))
    const by = Object.fromEntries(s.users.map((u) => [u.user, u]))
    expect(by.two!.test).toBeUndefined()
    expect(by.two!.trainEnd).toBe(2)
    // A search is context, not an interaction: 2 interactions → train only.
    expect(by.searchy!.test).toBeUndefined()
    expect(by.three!.test!.itemId).toBe('c')
    expect(s.evalUsers).toBe(1)
    expect(s.trainOnlyUsers).toBe(2)
  })

  it('counts training popularity without validation and test items, and all popularity with them', () => {
    const s = leaveOneOut(dataset({ u1: [ev('a', 1), ev('b', 2), ev('c', 3)], u2: [ev('c', 1), ev('a', 2)] }))
    expect(Object.fromEntries(s.trainPopularity)).toEqual({ a: 2, c: 1 })
    expect(Object.fromEntries(s.allPopularity)).toEqual({ a: 2, b: 1, c: 2 })
    expect(s.universe).toEqual(['a', 'b', 'c'])
  })

  it('keeps non-item events between validation and test out of training', () => {
    const u = splitUser('u', [ev('a', 1), ev('b', 2), ev(null, 3, 'lamp'), ev('c', 4)])
    expect(u.val!.index).toBe(1)
    expect(u.test!.index).toBe(3)
    expect(u.trainEnd).toBe(1)
  })
})
