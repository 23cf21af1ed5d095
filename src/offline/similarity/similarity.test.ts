import { describe, expect, it } from 'vitest'
import type { StoredEvent } from '../../events/types'
import { parseSimilarityTable } from '../../interest'
import type { Dataset } from '../data/types'
import { leaveOneOut } from '../protocol/split'
import { buildSimilarityArtifact } from './artifact'
import { Cooccurrence } from './cooccurrence'
import { asSimilarityTable, buildNeighbours } from './neighbours'
import { trainingData } from './training'

/** 1/√2 as the neighbour lists round it (6 digits) and as the browser file stores it (3). */
const HALF_SQRT2_6 = Math.round(Math.SQRT1_2 * 1e6) / 1e6
const HALF_SQRT2_3 = Math.round(Math.SQRT1_2 * 1e3) / 1e3

let k = 0
const ev = (item: string, t: number): StoredEvent => ({ id: `e${k++}`, type: 'view_item', items: [{ id: item }], timestamp: t })
function dataset(users: Record<string, string[]>): Dataset {
  return {
    name: 'f',
    files: [],
    items: new Map(),
    meta: new Map(),
    users: Object.entries(users).map(([id, items]) => ({ id, events: items.map((it, j) => ev(it, 1000 * j)) })),
    reports: [],
    unknownItems: 0,
    eventMapping: '',
  }
}

// Each user's last two items are validation/test and must not reach training.
// Training sequences: u0 a b c, u1 a b.
const ds = dataset({ u0: ['a', 'b', 'c', 'v0', 'z'], u1: ['a', 'b', 'v1', 'z'] })
const data = trainingData(leaveOneOut(ds))
const sims = (lists: ReturnType<typeof buildNeighbours>, id: string) =>
  Object.fromEntries(
    asSimilarityTable(lists)
      .neighbors(id)
      .map(([j, s]) => [j, +s.toFixed(6)]),
  )
const base = { window: 1, distanceExponent: 0, future: 1, gapHalfLifeMs: Infinity, alpha: 0.5, shrink: 0, k: 10, minCount: 1 }

describe('training data', () => {
  it('holds only events before each validation item (no leakage)', () => {
    expect(data.sequences.map((s) => Array.from(s, (i) => data.items[i]))).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b'],
    ])
    const z = data.index.get('z')!
    expect(data.counts[z]).toBe(0)
    expect(data.counts[data.index.get('v0')!]).toBe(0)
  })
})

describe('neighbour lists (worked by hand)', () => {
  it('cosine of windowed co-occurrence counts', () => {
    const l = buildNeighbours(data, base)
    // C(a,b) = 2 (both users), n_a = n_b = 2 → 2/√(2·2) = 1; C(b,c) = 1 → 1/√2.
    expect(sims(l, 'a')).toEqual({ b: 1 })
    expect(sims(l, 'b')).toEqual({ a: 1, c: HALF_SQRT2_6 })
    expect(sims(l, 'c')).toEqual({ b: HALF_SQRT2_6 })
    // Items never in training have no list and appear in none.
    expect(sims(l, 'z')).toEqual({})
    expect(Object.keys(sims(l, 'b'))).not.toContain('v0')
  })

  it('future = 0 keeps only items that came before the anchor', () => {
    const l = buildNeighbours(data, { ...base, future: 0 })
    expect(sims(l, 'a')).toEqual({})
    expect(sims(l, 'b')).toEqual({ a: 1 })
  })

  it('distance exponent and shrink change the weights as the formula says', () => {
    const l = buildNeighbours(data, { ...base, window: 2, distanceExponent: 1, shrink: 1 })
    // Anchor a: b at distance 1 twice (2), c at distance 2 once (1/2). sim(a,c) = 0.5 / (√2·1 + 1).
    expect(sims(l, 'a')).toEqual({ b: +(2 / (2 + 1)).toFixed(6), c: +(0.5 / (Math.SQRT2 + 1)).toFixed(6) })
  })

  it('keeps the k strongest, strongest first, and honours minCount', () => {
    expect(Object.keys(sims(buildNeighbours(data, { ...base, k: 1 }), 'b'))).toEqual(['a'])
    expect(sims(buildNeighbours(data, { ...base, minCount: 2 }), 'b')).toEqual({ a: 1 })
  })
})

describe('co-occurrence baseline', () => {
  it('counts users who had both items in training', () => {
    const co = new Cooccurrence(data)
    const idx = (...ids: string[]) => ids.map((id) => data.index.get(id) ?? -1)
    expect(Array.from(co.scores(idx('a'), idx('b', 'c', 'z')))).toEqual([2, 1, 0])
    expect(Array.from(co.scores(idx('a', 'c'), idx('b')))).toEqual([3])
  })
})

describe('the shipped artifact', () => {
  it('round-trips through the browser format and drops unused ids', () => {
    const art = buildSimilarityArtifact(data, { ...base, digits: 3 }, { source: 'test' })
    expect(art.json.format).toBe('localrank-similarity')
    expect(art.json.items.sort()).toEqual(['a', 'b', 'c'])
    const parsed = parseSimilarityTable(JSON.parse(JSON.stringify(art.json)))
    expect(parsed.neighbors('b').map(([j, s]) => [j, s])).toEqual([
      ['a', 1],
      ['c', HALF_SQRT2_3],
    ])
    expect(art.bytes).toBe(Buffer.byteLength(JSON.stringify(art.json)))
  })
})
