/**
 * Similarity from item data (issue 10): which source gives sim(h, c) for each pair, on small
 * hand-made cases. The real-data parity with the whole-table path is item-data-parity.test.ts.
 */
import { describe, expect, it } from 'vitest'
import type { Item, StoredEvent } from '../events/types'
import { compactForStorage } from '../events/compact'
import { buildProfile } from './profile'
import { createSimilarityTable } from './similarity'

const NOW = Date.UTC(2026, 0, 1)
const H = 3600_000
let n = 0
const view = (item: Item, t = NOW - H): StoredEvent => ({ id: `e${++n}`, type: 'view_item', items: [item], timestamp: t })
/** Only the similarity term: every other feature weight 0. */
const ONLY_SIMILAR = { featureWeights: { item: 0, category: 0, brand: 0, price: 0, query: 0, similar: 1 } }
const sims = (p: ReturnType<typeof buildProfile>, c: Item) => p.score(c, NOW).contributions.map((x) => [x.key, Number(x.value.toFixed(6))])

describe('profile similarity from carried neighbours', () => {
  const a = buildProfile([view({ id: 'h1' }), view({ id: 'h2' })], ONLY_SIMILAR)
  const v = a.weight('item', 'h1', NOW) // both items carry equal decayed weight
  it('a candidate’s own neighbours: Σ_h v(h)·w(h), each history item once, never the candidate itself', () => {
    expect(v).toBeGreaterThan(0)
    const c: Item = {
      id: 'c',
      neighbours: [
        ['h1', 0.5],
        ['x', 0.9],
        ['h2', 0.25],
        ['h1', 0.4],
        ['c', 3],
      ],
    }
    expect(a.value(c, NOW)).toBeCloseTo(v * 0.75, 12)
    expect(sims(a, c)).toEqual([
      ['h1', Number((0.5 * v).toFixed(6))],
      ['h2', Number((0.25 * v).toFixed(6))],
    ])
    expect(a.value({ id: 'c', neighbours: [] }, NOW)).toBe(0)
    expect(a.value({ id: 'c' }, NOW)).toBe(0) // no data anywhere, no table
  })

  it('a candidate without neighbours: the history items’ stored neighbours (reverse direction); the latest row of an item wins', () => {
    const p = buildProfile(
      [
        view({
          id: 'h1',
          neighbours: [
            ['c', 0.5],
            ['d', 0.1],
          ],
        }),
        view({ id: 'h2', neighbours: [['c', 0.25]] }),
      ],
      ONLY_SIMILAR,
    )
    expect(p.value({ id: 'c' }, NOW)).toBeCloseTo(v * 0.75, 12)
    expect(p.value({ id: 'd' }, NOW)).toBeCloseTo(v * 0.1, 12)
    // The candidate's own data outranks the history's: only its row counts.
    expect(p.value({ id: 'c', neighbours: [['h2', 1]] }, NOW)).toBeCloseTo(v, 12)
    // h1 seen again with a refreshed row: its old pairs are gone from the reverse index.
    p.add(view({ id: 'h1', neighbours: [['d', 0.3]] }, NOW - H))
    const v1 = p.weight('item', 'h1', NOW)
    const v2 = p.weight('item', 'h2', NOW)
    expect(p.value({ id: 'c' }, NOW)).toBeCloseTo(v2 * 0.25, 12)
    expect(p.value({ id: 'd' }, NOW)).toBeCloseTo(v1 * 0.3, 12)
  })

  it('a loaded table is used only for pairs where neither the candidate nor the history item carries data', () => {
    const table = createSimilarityTable([
      ['c', 'h1', 0.5],
      ['c', 'h2', 0.25],
      ['c', 'h3', 0.125],
    ])
    const history = [view({ id: 'h1' }), view({ id: 'h2', neighbours: [['c', 0.9]] }), view({ id: 'h3' })]
    const p = buildProfile(history, ONLY_SIMILAR, table)
    const w = (id: string) => p.weight('item', id, NOW)
    // h1, h3 from the table; h2 from its own carried row (0.9, not the table's 0.25).
    expect(p.value({ id: 'c' }, NOW)).toBeCloseTo(w('h1') * 0.5 + w('h2') * 0.9 + w('h3') * 0.125, 12)
    // A candidate carrying its row: the table is not consulted for it at all.
    expect(p.value({ id: 'c', neighbours: [['h3', 1]] }, NOW)).toBeCloseTo(w('h3'), 12)
    // With no item data anywhere, the table path is unchanged.
    const plain = buildProfile([view({ id: 'h1' }), view({ id: 'h2' }), view({ id: 'h3' })], ONLY_SIMILAR, table)
    expect(plain.value({ id: 'c' }, NOW)).toBeCloseTo(w('h1') * 0.5 + w('h2') * 0.25 + w('h3') * 0.125, 12)
  })

  it('stored (compacted) events feed the reverse direction with their 8 strongest neighbours', () => {
    const row: Array<[string, number]> = Array.from({ length: 20 }, (_, j) => [`n${j}`, 1 - j * 0.01])
    const stored = compactForStorage({ id: 'e', type: 'view_item', items: [{ id: 'h', neighbours: row }], timestamp: NOW - H })
    const p = buildProfile([stored], ONLY_SIMILAR)
    const vh = p.weight('item', 'h', NOW)
    expect(p.value({ id: 'n7' }, NOW)).toBeCloseTo(vh * 0.93, 12)
    expect(p.value({ id: 'n8' }, NOW)).toBe(0)
  })

  it('malformed carried pairs (from an unchecked caller) are skipped, not thrown', () => {
    const bad = [['h1', Number.NaN], 'x', ['h2', 0.5], [7, 1]] as unknown as Array<[string, number]>
    expect(a.value({ id: 'c', neighbours: bad }, NOW)).toBeCloseTo(v * 0.5, 12)
    const p = buildProfile([view({ id: 'h1', neighbours: bad })], ONLY_SIMILAR)
    expect(p.value({ id: 'h2' }, NOW)).toBeCloseTo(p.weight('item', 'h1', NOW) * 0.5, 12)
  })
})
