import { describe, expect, it } from 'vitest'
import { LocalRankError, ModelError } from '../errors'
import type { Item, StoredEvent } from '../events/types'
import { buildProfile, createProfile } from './profile'
import { MemorySimilarityTable, createSimilarityTable, parseSimilarityTable, parseSimilarityTableAsync, serializeSimilarityTable, type SimilarityTableJSON } from './similarity'
import type { SimilarityTable } from './types'

const H = 3600_000
const NOW = Date.UTC(2024, 5, 1)

const triples: Array<[string, string, number]> = [
  ['a', 'b', 0.9],
  ['a', 'c', 0.4],
  ['b', 'c', 0.7],
  ['c', 'd', 0.2],
  ['a', 'a', 1], // self pair: dropped
  ['b', 'a', 0.5], // duplicate of (a, b): the larger similarity is kept
]

describe('createSimilarityTable', () => {
  const t = createSimilarityTable(triples)
  it('symmetrises, drops self pairs and sorts rows strongest first', () => {
    expect(t.neighbors('a')).toEqual([
      ['b', 0.9],
      ['c', 0.4],
    ])
    expect(t.neighbors('c')).toEqual([
      ['b', 0.7],
      ['a', 0.4],
      ['d', 0.2],
    ])
    expect(t.neighbors('d')).toEqual([['c', 0.2]])
    expect(t.neighbors('zzz')).toEqual([])
    expect(t.pairs).toBe(8)
  })
  it('keeps rows one-directional when asked, and truncates to maxNeighbors', () => {
    const one = createSimilarityTable([['a', 'b', 0.5]], { symmetric: false })
    expect(one.neighbors('b')).toEqual([])
    const k1 = createSimilarityTable(triples, { maxNeighbors: 1 })
    expect(k1.neighbors('c')).toEqual([['b', 0.7]])
  })
  it('rejects a bad triple naming it', () => {
    expect(() =>
      createSimilarityTable([
        ['a', 'b', 0.1],
        ['a', 'c', Number.NaN],
      ]),
    ).toThrow(expect.objectContaining({ context: expect.objectContaining({ field: 'rows[1][2]' }) }))
    expect(() => createSimilarityTable([['', 'b', 0.1]])).toThrow(ModelError)
  })
})

describe('serialisation', () => {
  const t = createSimilarityTable(triples, { meta: { source: 'test' } })
  it('round-trips through JSON text exactly', () => {
    const json = JSON.stringify(serializeSimilarityTable(t))
    const back = parseSimilarityTable(json)
    for (const id of ['a', 'b', 'c', 'd', 'x']) expect(back.neighbors(id)).toEqual(t.neighbors(id))
    expect(back.meta).toEqual({ source: 'test' })
    expect([...back.entries()].map(([id]) => id).sort()).toEqual(['a', 'b', 'c', 'd'])
  })
  it('uses parallel arrays (CSR) and can round similarities', () => {
    const j = t.toJSON({ digits: 1 })
    expect(Object.keys(j).sort()).toEqual(['format', 'items', 'meta', 'neighbors', 'offsets', 'sims', 'version'])
    expect(j.offsets).toHaveLength(j.items.length + 1)
    expect(j.neighbors).toHaveLength(j.sims.length)
    expect(parseSimilarityTable(j).neighbors('c')[0]).toEqual(['b', 0.7])
  })
  it('re-sorts a row that is not strongest first', () => {
    const j: SimilarityTableJSON = { format: 'localrank-similarity', version: 1, items: ['a', 'b', 'c'], offsets: [0, 2, 2, 2], neighbors: [1, 2], sims: [0.1, 0.8] }
    expect(parseSimilarityTable(j).neighbors('a')).toEqual([
      ['c', 0.8],
      ['b', 0.1],
    ])
  })
})

describe('parseSimilarityTable validation: typed error naming the field', () => {
  const good = (): Record<string, unknown> => ({
    format: 'localrank-similarity',
    version: 1,
    items: ['a', 'b', 'c'],
    offsets: [0, 2, 3, 4],
    neighbors: [1, 2, 0, 0],
    sims: [0.9, 0.4, 0.9, 0.4],
  })
  it('accepts the good table', () => {
    expect(parseSimilarityTable(good())).toBeInstanceOf(MemorySimilarityTable)
  })
  const cases: Array<[string, (j: Record<string, unknown>) => unknown, string]> = [
    ['not JSON', () => '{oops', 'json'],
    ['not an object', () => [1, 2], 'table'],
    ['wrong format', (j) => ({ ...j, format: 'other' }), 'format'],
    ['future version', (j) => ({ ...j, version: 2 }), 'version'],
    ['items not an array', (j) => ({ ...j, items: 'abc' }), 'items'],
    ['empty id', (j) => ({ ...j, items: ['a', '', 'c'] }), 'items[1]'],
    ['duplicate id', (j) => ({ ...j, items: ['a', 'b', 'a'] }), 'items[2]'],
    ['offsets wrong length', (j) => ({ ...j, offsets: [0, 2, 3] }), 'offsets'],
    ['offsets not from 0', (j) => ({ ...j, offsets: [1, 2, 3, 4] }), 'offsets[0]'],
    ['offsets decreasing', (j) => ({ ...j, offsets: [0, 3, 2, 4] }), 'offsets[2]'],
    ['offsets not ending at neighbors.length', (j) => ({ ...j, offsets: [0, 1, 2, 3] }), 'offsets[3]'],
    ['fractional offset', (j) => ({ ...j, offsets: [0, 1.5, 3, 4] }), 'offsets[1]'],
    ['neighbour out of range', (j) => ({ ...j, neighbors: [1, 7, 0, 0] }), 'neighbors[1]'],
    ['self neighbour', (j) => ({ ...j, neighbors: [1, 2, 1, 0] }), 'neighbors[2]'],
    ['repeated neighbour', (j) => ({ ...j, neighbors: [1, 1, 0, 0] }), 'neighbors[1]'],
    ['sims length', (j) => ({ ...j, sims: [0.9, 0.4, 0.9] }), 'sims'],
    ['non-finite sim', (j) => ({ ...j, sims: [0.9, null, 0.9, 0.4] }), 'sims[1]'],
    ['meta not an object', (j) => ({ ...j, meta: 3 }), 'meta'],
  ]
  it.each(cases)('%s → ModelError with field %s', (_name, mutate, field) => {
    let err: unknown
    try {
      parseSimilarityTable(mutate(good()))
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ModelError)
    expect(err).toBeInstanceOf(LocalRankError)
    expect((err as ModelError).code).toBe('model')
    expect((err as ModelError).context).toMatchObject({ field, model: 'similarity' })
    expect((err as ModelError).message).toContain(field)
  })
  it.each(cases)('async parse: %s → the same ModelError (field %s)', async (_name, mutate, field) => {
    const err = await parseSimilarityTableAsync(mutate(good())).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ModelError)
    expect((err as ModelError).context).toMatchObject({ field, model: 'similarity' })
  })
})

describe('parseSimilarityTableAsync', () => {
  // 3,000 items × 20 neighbours, rows not sorted (so the re-sort runs too).
  const big = (): SimilarityTableJSON => {
    const n = 3000
    const items = Array.from({ length: n }, (_, i) => `item-${i}`)
    const offsets = [0]
    const neighbors: number[] = []
    const sims: number[] = []
    for (let i = 0; i < n; i++) {
      for (let k = 1; k <= 20; k++) {
        neighbors.push((i + k * 37) % n)
        sims.push(((i * 7 + k * 13) % 101) / 101)
      }
      offsets.push(neighbors.length)
    }
    return { format: 'localrank-similarity', version: 1, items, offsets, neighbors, sims }
  }

  it('gives the same table as the synchronous parse, and lets other tasks run while it works', async () => {
    const json = big()
    const sync = serializeSimilarityTable(parseSimilarityTable(json))
    let done = false
    let ranBetween = false
    setTimeout(() => {
      ranBetween = !done
    }, 0)
    const table = await parseSimilarityTableAsync(json, 0)
    done = true
    expect(ranBetween).toBe(true) // a timer queued before the parse ran before it finished
    expect(serializeSimilarityTable(table)).toEqual(sync)
    expect(table.pairs).toBe(60_000)
  })
})

describe('decayed item-to-item similarity in the profile', () => {
  let n = 0
  const view = (id: string, t: number, type: StoredEvent['type'] = 'view_item'): StoredEvent => ({ id: `e${++n}`, type, items: [{ id }], timestamp: t })
  const table = createSimilarityTable([
    ['h1', 'c1', 0.8],
    ['h2', 'c1', 0.3],
    ['h3', 'c1', 0.5],
    ['h1', 'c2', 0.1],
    ['x', 'c1', 0.9], // x is not in the history
  ])
  const events = [view('h1', NOW - 48 * H), view('h2', NOW - 2 * H, 'add_to_cart'), view('h3', NOW - H), view('h1', NOW - 30 * 60_000)]
  const fw = { item: 0, category: 0, brand: 0, price: 0, query: 0, similar: 2 }
  const p = buildProfile(events, { featureWeights: fw }, table)

  it('equals Σ_h v(h)·sim(h, c) over the history, brute force', () => {
    for (const c of ['c1', 'c2', 'h1', 'unknown']) {
      let brute = 0
      for (const h of new Set(events.flatMap((e) => e.items.map((i) => i.id)))) {
        const sim = table.neighbors(h).find(([id]) => id === c)?.[1] ?? 0
        brute += p.weight('item', h, NOW) * sim
      }
      expect(p.value({ id: c }, NOW)).toBeCloseTo(fw.similar * brute, 12)
    }
    expect(p.value({ id: 'c1' }, NOW)).toBeGreaterThan(p.value({ id: 'c2' }, NOW))
  })
  it('explains with the history item that lifted the candidate', () => {
    const s = p.score({ id: 'c1' }, NOW)
    expect(s.contributions.every((c) => c.kind === 'similar')).toBe(true)
    expect(s.contributions.map((c) => c.key).sort()).toEqual(['h1', 'h2', 'h3'])
    expect(s.contributions.find((c) => c.key === 'h1')).toMatchObject({ count: 2 })
  })
  it('recent history weighs more: a neighbour of a recent item beats one of an old item', () => {
    const t = createSimilarityTable([
      ['old', 'c-old', 0.8],
      ['new', 'c-new', 0.8],
    ])
    const q = buildProfile([view('old', NOW - 40 * 24 * H), view('new', NOW - H)], { featureWeights: fw }, t)
    const vOld = q.value({ id: 'c-old' }, NOW)
    const vNew = q.value({ id: 'c-new' }, NOW)
    expect(vOld).toBeGreaterThan(0)
    expect(vNew).toBeGreaterThan(vOld)
    expect(vNew / vOld).toBeCloseTo(q.weight('item', 'new', NOW) / q.weight('item', 'old', NOW), 12)
  })
  it('without a table or with featureWeights.similar = 0, similarity adds nothing', () => {
    expect(buildProfile(events, { featureWeights: fw }).value({ id: 'c1' }, NOW)).toBe(0)
    expect(buildProfile(events, { featureWeights: { ...fw, similar: 0 } }, table).value({ id: 'c1' }, NOW)).toBe(0)
  })
  it('the in-memory fast path (typed arrays) and the generic SimilarityTable path agree', () => {
    const generic: SimilarityTable = { neighbors: (id) => table.neighbors(id) }
    const fast = buildProfile(events, { featureWeights: fw }, table)
    const slow = buildProfile(events, { featureWeights: fw }, generic)
    for (const c of ['c1', 'c2', 'h1', 'h2', 'x', 'nope']) {
      expect(fast.value({ id: c }, NOW)).toBeCloseTo(slow.value({ id: c }, NOW), 14)
      expect(fast.score({ id: c }, NOW).contributions).toEqual(slow.score({ id: c }, NOW).contributions)
    }
    expect(fast.value({ id: 'c1' }, NOW)).toBeGreaterThan(0)
  })
  it('walks only the candidate’s neighbour list (O(k)), not the history', () => {
    let calls = 0
    const counting: SimilarityTable = {
      neighbors(id) {
        calls++
        return table.neighbors(id)
      },
    }
    const q = createProfile({ featureWeights: fw }, counting)
    for (let i = 0; i < 500; i++) q.add(view(`hist-${i % 50}`, NOW - i * 60_000))
    q.add(view('h1', NOW))
    calls = 0
    const item: Item = { id: 'c1' }
    expect(q.value(item, NOW)).toBeGreaterThan(0)
    expect(calls).toBe(1)
  })
})
