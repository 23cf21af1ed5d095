import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compactForStorage, storedBytes, STORED_NEIGHBOURS, STORED_TITLE_CHARS } from './compact'
import type { StoredEvent } from './types'
import { validateEvent } from './validate'

const clock = () => 1_767_225_600_000 // 2026-01-01

/** base64url of `bytes` pseudo-random bytes (the length is what matters here). */
function payload(bytes: number): string {
  const b = new Uint8Array(bytes).map((_, i) => (i * 151 + 7) & 255)
  return Buffer.from(b).toString('base64url')
}
/** A row as a feed exports it: 25 neighbours, strongest first, weights with 3 digits. */
const row = (n: number): Array<[string, number]> => Array.from({ length: n }, (_, j) => [`sku-${String(100000 + j * 37)}`, Number((0.64 - j * 0.02).toFixed(3))])
const shopItem = (data: boolean) => ({
  id: 'sku-104729',
  category: ['home', 'lighting', 'table lamps'],
  brand: 'Lumo',
  price: 39.9,
  title: 'Brass table lamp with linen shade',
  ...(data ? { vector: `f16:0a1b2c3d:${payload(2 * 65)}`, neighbours: row(25) } : {}),
})
const event = (data: boolean): StoredEvent => validateEvent({ type: 'view_item', items: [shopItem(data)] }, clock)

describe('compactForStorage', () => {
  it(`bounds a one-item event to its vector and ${STORED_NEIGHBOURS} neighbours (JSON bytes, printed); a MovieLens-shaped f16 item fits 512`, () => {
    const sizes: Record<string, number> = {}
    const shapes = {
      shop: { item: shopItem(false), row: row(25) },
      movielens: {
        item: { id: '1219', category: ['Horror', 'Thriller'], title: 'Psycho (1960)' },
        row: Array.from({ length: 25 }, (_, j): [string, number] => [String(1000 + j * 3737), Number((0.64 - j * 0.02).toFixed(3))]),
      },
    }
    for (const [shape, { item, row: r }] of Object.entries(shapes)) {
      for (const [enc, vector] of [
        ['none', undefined],
        ['f16', `f16:0a1b2c3d:${payload(2 * 65)}`],
        ['i8', `i8:0a1b2c3d:${payload(4 + 65)}`],
      ] as const) {
        for (const withNeighbours of [false, true]) {
          const raw = validateEvent({ type: 'view_item', items: [{ ...item, ...(vector ? { vector } : {}), ...(withNeighbours ? { neighbours: r } : {}) }] }, clock)
          const c = compactForStorage(raw)
          if (withNeighbours) {
            expect(c.items[0]!.neighbours).toHaveLength(STORED_NEIGHBOURS)
            expect(storedBytes(c)).toBeLessThan(storedBytes(raw))
          } else expect(storedBytes(c)).toBe(storedBytes(raw))
          sizes[`${shape} ${enc}${withNeighbours ? ' +8 nb' : ''}`] = storedBytes(c)
        }
      }
    }
    console.log(`[compact] stored JSON bytes per one-item view_item event (d = 64): ${JSON.stringify(sizes)}`)
    // The regression guard: the demo's own items with an f16 vector and 8 neighbours stay within
    // the 512-byte target. A shop-shaped item (10-character ids, 3 category levels, brand,
    // price, a 33-character title) does not with f16 (the figures above; see the README).
    expect(sizes['movielens f16 +8 nb']).toBeLessThanOrEqual(512)
  })

  it('keeps the vector and every field the ranker and encoder read, exactly', () => {
    const e = event(true)
    const c = compactForStorage(e)
    const { neighbours: _n, ...rest } = e.items[0]!
    const { neighbours: _m, ...kept } = c.items[0]!
    expect(kept).toEqual(rest)
    expect({ ...c, items: [] }).toEqual({ ...e, items: [] })
  })

  it('keeps the strongest neighbours, strongest first, without the item itself or repeated ids', () => {
    const e = validateEvent(
      {
        type: 'purchase',
        items: [
          {
            id: 'a',
            neighbours: [
              ['b', 0.1],
              ['a', 0.99],
              ['c', 0.5],
              ['b', 0.7],
              ['d', -0.3],
              ['e', 0.5],
              ['f', 0.2],
              ['g', 0.3],
              ['h', 0.05],
              ['i', 0.4],
              ['j', 0.123456789],
            ],
          },
        ],
      },
      clock,
    )
    const c = compactForStorage(e)
    // 'a' is the item itself; the second 'b' repeats the first (the first listed is kept, as a feed lists strongest first).
    expect(c.items[0]!.neighbours).toEqual([
      ['c', 0.5],
      ['e', 0.5],
      ['i', 0.4],
      ['g', 0.3],
      ['f', 0.2],
      ['j', 0.1235],
      ['b', 0.1],
      ['h', 0.05],
    ])
    expect(compactForStorage(e, 3).items[0]!.neighbours).toEqual([
      ['c', 0.5],
      ['e', 0.5],
      ['i', 0.4],
    ])
    expect(compactForStorage(e, 0).items[0]!.neighbours).toEqual([])
  })

  it('cuts a long title at a word boundary and leaves short ones alone', () => {
    const long = `${'word '.repeat(40)}end`
    const c = compactForStorage(
      validateEvent(
        {
          type: 'view_item',
          items: [
            { id: 'a', title: long },
            { id: 'b', title: 'Short' },
          ],
        },
        clock,
      ),
    )
    expect(c.items[0]!.title!.length).toBeLessThanOrEqual(STORED_TITLE_CHARS)
    expect(long.startsWith(c.items[0]!.title!)).toBe(true)
    expect(c.items[0]!.title!.endsWith('word')).toBe(true)
    expect(c.items[1]!.title).toBe('Short')
    const oneWord = 'x'.repeat(300)
    expect(compactForStorage(validateEvent({ type: 'view_item', items: [{ id: 'a', title: oneWord }] }, clock)).items[0]!.title).toBe('x'.repeat(STORED_TITLE_CHARS))
  })

  it('is pure: the input event is unchanged, and an event with nothing to compact is returned as is', () => {
    const e = event(true)
    const before = JSON.stringify(e)
    compactForStorage(e)
    expect(JSON.stringify(e)).toBe(before)
    const plain = event(false)
    expect(compactForStorage(plain)).toBe(plain)
  })

  it('property: kept neighbours are ≤ 8, strongest first, unique, never the item, each with the weight of its first listing (500 cases)', () => {
    const id = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'self')
    const pairs = fc.array(fc.tuple(id, fc.double({ min: -2, max: 2, noNaN: true })), { maxLength: 100 })
    fc.assert(
      fc.property(pairs, fc.integer({ min: 0, max: 12 }), (nb, k) => {
        const e = validateEvent({ type: 'view_item', items: [{ id: 'self', neighbours: nb }] }, clock)
        const kept = compactForStorage(e, k).items[0]!.neighbours!
        expect(kept.length).toBeLessThanOrEqual(k)
        expect(new Set(kept.map((p) => p[0])).size).toBe(kept.length)
        expect(kept.some((p) => p[0] === 'self')).toBe(false)
        for (let j = 1; j < kept.length; j++) expect(kept[j]![1]).toBeLessThanOrEqual(kept[j - 1]![1])
        // Each id keeps the weight of its FIRST listing (a feed lists strongest first), rounded.
        const first = new Map<string, number>()
        for (const [n, w] of nb) if (n !== 'self' && !first.has(n)) first.set(n, w)
        for (const [n, w] of kept) expect(w).toBe(Number(first.get(n)!.toPrecision(4)))
        // And none left out is stronger than the weakest kept.
        if (kept.length === k && kept.length > 0) {
          const weakest = first.get(kept.at(-1)![0])!
          for (const [n, w] of first) if (!kept.some((p) => p[0] === n)) expect(w).toBeLessThanOrEqual(weakest)
        } else expect(kept.length).toBe(Math.min(k, first.size))
      }),
      { numRuns: 500 },
    )
  })
})
