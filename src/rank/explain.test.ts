/**
 * Issue 13 #24: explanations through the real profile (buildProfile) and the real ranker.
 * They must count distinct items (not events), name items by the title their events carried
 * (never a raw id) and name the event that actually happened.
 */
import { describe, expect, it } from 'vitest'
import type { EventType, Item, StoredEvent } from '../events/types'
import { buildProfile } from '../interest'
import { rankCandidates } from '.'
import type { Candidate } from './types'

const NOW = Date.UTC(2026, 0, 1)
const MIN = 60_000
let seq = 0
const ev = (type: EventType, item: Item, ago: number): StoredEvent => ({ id: `e${++seq}`, type, items: [item], timestamp: NOW - ago })

/** The explanation texts of one candidate when ranked in `list` with `history`. */
function texts(history: StoredEvent[], list: Candidate[], id: string): string[] {
  const r = rankCandidates(list, { now: NOW, profile: buildProfile(history) }, { explain: true })
  const item = r.items.find((i) => i.id === id)
  if (!item) throw new Error(`${id} not ranked`)
  return item.explanation.map((e) => e.text)
}

describe('explanations (issue 13 #24)', () => {
  const psycho: Item = { id: '1219', title: 'Psycho', category: ['Horror'] }

  it('one film opened and viewed is one item, not "2 items"', () => {
    const history = [ev('select_item', { id: 'a1', title: 'Heat', category: ['Action'] }, 3 * MIN), ev('view_item', { id: 'a1', title: 'Heat', category: ['Action'] }, 2 * MIN)]
    const list: Candidate[] = [
      { id: 'd1', category: ['Drama'], score: 2 },
      { id: 'a2', category: ['Action'], score: 1 },
    ]
    const t = texts(history, list, 'a2')
    expect(t).toContain('Matches your interest in Action')
    expect(t.join(' | ')).not.toMatch(/2 items/)
    // Two distinct films do count as two.
    const two = [...history, ev('view_item', { id: 'a3', title: 'Ronin', category: ['Action'] }, MIN)]
    expect(texts(two, list, 'a2')).toContain('You viewed 2 items in Action')
  })

  it('a similar item is named by the title its events carried, never by its id', () => {
    const history = [ev('view_item', psycho, MIN)]
    const list: Candidate[] = [
      { id: 'x', category: ['Comedy'], score: 2 },
      { id: 'birds', category: ['Thriller'], neighbours: [['1219', 0.9]], score: 1 },
    ]
    const t = texts(history, list, 'birds')
    expect(t).toContain('Similar to Psycho, which you viewed')
    expect(t.join(' | ')).not.toMatch(/1219/)
  })

  it('a history item without a title is "something you …", not its id', () => {
    const history = [ev('view_item', { id: '1219', category: ['Horror'] }, MIN)]
    const list: Candidate[] = [
      { id: 'x', category: ['Comedy'], score: 2 },
      { id: 'birds', category: ['Thriller'], neighbours: [['1219', 0.9]], score: 1 },
    ]
    const t = texts(history, list, 'birds').join(' | ')
    expect(t).toMatch(/Similar to something you viewed/)
    expect(t).not.toMatch(/1219/)
  })

  it('names the real event: added to the cart is not "viewed"; an item is named by its strongest event, a group by each of its events', () => {
    const history = [ev('add_to_cart', { id: 'c1', title: 'Lamp', category: ['Lamps'] }, 3 * MIN), ev('add_to_cart', { id: 'c2', title: 'Shade', category: ['Lamps'] }, 2 * MIN)]
    const list: Candidate[] = [
      { id: 'x', category: ['Rugs'], score: 3 },
      { id: 'c1', category: ['Lamps'], score: 2 },
      { id: 'c3', category: ['Lamps'], score: 1 },
    ]
    const all = [...texts(history, list, 'c1'), ...texts(history, list, 'c3')]
    expect(all).toContain('You added this to your cart before')
    expect(all).toContain('You added 2 items in Lamps to your cart')
    expect(all.join(' | ')).not.toMatch(/viewed|looked at/)
    // Bought (40 days ago, outside the purchase demotion) and added: the strongest event
    // names the item; the group lists both, since each of its items had one of them.
    const bought = [ev('purchase', { id: 'c1', title: 'Lamp', category: ['Lamps'] }, 40 * 24 * 60 * MIN), ...history]
    expect(texts(bought, list, 'c1')).toContain('You bought this before')
    expect(texts(bought, list, 'c3')).toContain('2 items in Lamps you bought or added to your cart')
  })

  it('the latest title wins (a shop may rename a product)', () => {
    const history = [ev('view_item', { ...psycho, title: 'Psycho (1960)' }, 5 * MIN), ev('view_item', psycho, MIN)]
    const list: Candidate[] = [
      { id: 'x', category: ['Comedy'], score: 2 },
      { id: 'birds', neighbours: [['1219', 0.9]], score: 1 },
    ]
    expect(texts(history, list, 'birds')).toContain('Similar to Psycho, which you viewed')
  })
})
