import { describe, expect, it } from 'vitest'
import type { StoredEvent } from '../events/types'
import { categoryKeys } from '../interest'
import { blockMatcher, personalEvent, personalHistory } from './blocks'

const ev = (id: string, items: StoredEvent['items'], query?: string): StoredEvent => ({ id, type: 'view_item', items, timestamp: 1, ...(query === undefined ? {} : { query }) })

describe('blockMatcher (issue 13 #2)', () => {
  it('matches a level name, a prefix key, the tail of a blocked key, and ids the history placed there', () => {
    const m = blockMatcher(['Horror', categoryKeys(['home', 'lamps'])[1]!])
    expect(m.blocks({ id: 'a', category: ['Movies', 'Horror'] })).toBe(true)
    expect(m.blocks({ id: 'b', category: ['home', 'lamps', 'desk'] })).toBe(true)
    expect(m.blocks({ id: 'c', category: ['lamps'] })).toBe(true) // only the subcategory was sent
    expect(m.blocks({ id: 'd', category: ['home'] })).toBe(false) // the parent of a blocked key is not blocked
    expect(m.blocks({ id: 'e', category: ['garden'] })).toBe(false)
    expect(m.blocks({ id: 'f' })).toBe(false)
    expect(m.blocks({ id: 'f' }, new Set(['f']))).toBe(true)
  })
  it('handles keys whose segments hold the separator (escaped by categoryKeys)', () => {
    const key = categoryKeys(['a>b', 'c'])[1]!
    const m = blockMatcher([key])
    expect(m.blocks({ id: 'x', category: ['a>b', 'c'] })).toBe(true)
    expect(m.blocks({ id: 'y', category: ['a', 'b', 'c'] })).toBe(false)
  })
})

describe('personalHistory (issue 13 #2: no signal from events about blocked items)', () => {
  const history = [
    ev('1', [
      { id: 'h1', category: ['Horror'], brand: 'Hammer' },
      { id: 'd1', category: ['Drama'] },
    ]),
    ev('2', [{ id: 'h1', brand: 'Hammer' }]), // the same film, tracked without its category
    ev('3', [{ id: 'h1' }], 'hammer films'), // a search that returned it keeps its query
    ev('4', [{ id: 'd2', category: ['Drama'] }]),
  ]
  it('removes blocked items from every event, drops events left empty, keeps queries and untouched events as they are', () => {
    const { events, blockedItems } = personalHistory(history, ['Horror'])
    expect([...blockedItems]).toEqual(['h1'])
    expect(events.map((e) => [e.id, e.items.map((i) => i.id), e.query])).toEqual([
      ['1', ['d1'], undefined],
      ['3', [], 'hammer films'],
      ['4', ['d2'], undefined],
    ])
    expect(events[2]).toBe(history[3])
    expect(history[0]!.items).toHaveLength(2) // the stored events are not changed
  })
  it('with no blocks, everything is kept', () => {
    expect(personalHistory(history, []).events).toEqual(history)
  })
  it('one new event: kept, stripped, or a rebuild when an item turns out to be blocked only now', () => {
    const { blockedItems } = personalHistory(history, ['Horror'])
    expect(personalEvent(ev('5', [{ id: 'h1' }]), ['Horror'], blockedItems)).toEqual({ event: null, rebuild: false })
    const late = personalEvent(ev('6', [{ id: 'd2', category: ['Drama', 'Horror'] }]), ['Horror'], blockedItems)
    expect(late.rebuild).toBe(true) // d2 was learnt from before, as a drama
    expect(blockedItems.has('d2')).toBe(true)
  })
})
