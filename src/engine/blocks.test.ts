/**
 * Issue 13 #2 through the public engine API: a blocked category means no boost from any
 * signal for items in it, nor from events about them. The rule is src/rank/blocks.ts; this
 * checks that the engine applies it to what the profile learns and to what the ranker blocks.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Candidate } from '../rank/types'
import { createEngine } from './engine'
import type { Engine } from './types'

const T = Date.UTC(2026, 5, 1)
let t = T
const engines: Engine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.dispose()
})

async function shopper(): Promise<Engine> {
  t = T
  const e = await createEngine({ storage: 'memory', consent: 'granted', clock: () => t })
  engines.push(e)
  // Two slasher films by Hammer at 10, each opened and viewed; one drama by someone else.
  for (const [id, category, brand] of [
    ['h1', ['Horror', 'Slasher'], 'Hammer'],
    ['h2', ['Horror', 'Slasher'], 'Hammer'],
    ['d0', ['Drama'], 'Other'],
  ] as const) {
    for (const type of ['select_item', 'view_item'] as const) {
      t += 60_000
      const price = id === 'd0' ? {} : { price: 10 }
      expect(await e.track({ type, items: [{ id, title: `Film ${id}`, category: [...category], brand, ...price }] })).not.toBeNull()
    }
  }
  t += 60_000
  return e
}

// The server sends the horror films it knows as h1 (no category) and h2 (only its
// subcategory), a comedy by Hammer, one at the horror films' price, and unrelated comedies
// and a drama. `near`: a comedy whose feed row lists h1 as a neighbour (a list of its own: one
// strong similarity term would dwarf the rest of a standardised list).
const candidates: Candidate[] = [
  { id: 'x1', category: ['Comedy'], brand: 'Acme', score: 9 },
  { id: 'x2', category: ['Comedy'], brand: 'Acme', score: 8 },
  { id: 'hammer-comedy', category: ['Comedy'], brand: 'Hammer', score: 7 },
  { id: 'h1', score: 5 },
  { id: 'h2', category: ['Slasher'], score: 4 },
  { id: 'priced-comedy', category: ['Comedy'], brand: 'Acme', price: 10, score: 3 },
  { id: 'x3', category: ['Comedy'], brand: 'Acme', score: 2 },
  { id: 'd1', category: ['Drama'], brand: 'Acme', score: 1 },
]

const near: Candidate[] = [
  { id: 'x1', category: ['Comedy'], score: 2 },
  { id: 'like-h1', category: ['Comedy'], neighbours: [['h1', 0.5]], score: 1 },
]

describe('blocked categories (issue 13 #2)', () => {
  it('before the block, the history lifts the horror films and the Hammer comedy (so the checks below can fail)', async () => {
    const e = await shopper()
    const r = await e.rerank(candidates, { explain: true })
    expect(r.path).toBe('profile')
    const pos = (id: string) => r.items.findIndex((i) => i.id === id)
    // h1 (sent with no category) rises above the comedies on "You viewed this before".
    expect(pos('h1')).toBeLessThan(pos('x1'))
    expect(r.items.find((i) => i.id === 'h1')!.explanation.map((x) => x.text)).toContain('You viewed this before')
    const why = (id: string) => r.items.find((i) => i.id === id)!.explanation.map((x) => x.text)
    expect(why('hammer-comedy')).toContain('You like Hammer')
    // The horror films' price band is an interest (the drama has no price).
    expect((await e.interests(50)).some((i) => i.kind === 'price')).toBe(true)
    const n = await e.rerank(near, { explain: true })
    expect(n.items[0]!.id).toBe('like-h1')
    expect(n.items[0]!.explanation.map((x) => x.text)).toContain('Similar to Film h1, which you viewed')
  })

  it('after blocking Horror: no candidate rises on the blocked events — not the films sent without their category, not their brand', async () => {
    const e = await shopper()
    await e.blockCategory('Horror')
    const r = await e.rerank(candidates, { explain: true })
    const ids = r.items.map((i) => i.id)
    // Only the drama (the one unblocked interest) may move; everything else keeps the server order.
    expect(ids.filter((id) => id !== 'd1')).toEqual(candidates.map((c) => c.id).filter((id) => id !== 'd1'))
    expect(ids.indexOf('d1')).toBe(0)
    const texts = r.items.flatMap((i) => i.explanation.map((x) => `${i.id}: ${x.text}`))
    expect(texts.filter((x) => !x.startsWith('d1:'))).toEqual([])
    expect(texts.join(' | ')).not.toMatch(/Hammer|Slasher|Horror|Film h|price/)
    // Nor does a neighbour of a blocked film.
    const n = await e.rerank(near, { explain: true })
    expect(n.items.map((i) => [i.id, i.explanation.length])).toEqual([
      ['x1', 0],
      ['like-h1', 0],
    ])
    // What the shop "thinks" of the shopper no longer holds the blocked interests either.
    const interests = await e.interests(50)
    expect(interests.map((i) => i.key).join(' ')).not.toMatch(/Hammer|Horror|Slasher|h1|h2/)
    expect(interests.some((i) => i.key === 'Drama')).toBe(true)
    expect(interests.some((i) => i.kind === 'price')).toBe(false)
  })

  it('a block of a subcategory key (as the controls send it) also blocks a candidate sent with that subcategory only', async () => {
    const e = await shopper()
    const key = (await e.interests(50)).find((i) => i.kind === 'category' && /Slasher/.test(i.key))!.key
    await e.blockCategory(key)
    const r = await e.rerank([
      { id: 'x1', category: ['Comedy'], score: 2 },
      { id: 'other-slasher', category: ['Slasher'], score: 1 },
      { id: 'h1', score: 0 },
    ])
    expect(r.items.map((i) => i.id)).toEqual(['x1', 'other-slasher', 'h1'])
    expect(r.items.every((i) => i.explanation.length === 0)).toBe(true)
  })

  it('when every event is about a blocked category, the answer is the server order and says why', async () => {
    const e = await shopper()
    await e.blockCategory('Horror')
    await e.blockCategory('Drama')
    const r = await e.rerank(candidates, { explain: true })
    expect(r.path).toBe('server')
    expect(r.items.map((i) => i.id)).toEqual(candidates.map((c) => c.id))
    expect(r.items.flatMap((i) => i.explanation)).toEqual([])
    // Unblocking brings the personalisation back.
    await e.unblockCategory('Horror')
    await e.unblockCategory('Drama')
    const again = (await e.rerank(candidates)).items.map((i) => i.id)
    expect(again.indexOf('h1')).toBeLessThan(again.indexOf('x1'))
  })

  it('an event tracked after the block, about a blocked item sent without its category, teaches nothing', async () => {
    const e = await shopper()
    await e.blockCategory('Horror')
    for (let k = 0; k < 5; k++) {
      t += 60_000
      await e.track({ type: 'add_to_cart', items: [{ id: 'h1', brand: 'Hammer' }] })
    }
    const r = await e.rerank(candidates, { explain: true })
    expect(r.items.map((i) => i.id).filter((id) => id !== 'd1')).toEqual(candidates.map((c) => c.id).filter((id) => id !== 'd1'))
    expect(r.items.flatMap((i) => i.explanation.map((x) => x.text)).join(' | ')).not.toMatch(/Hammer|before/)
  })
})
