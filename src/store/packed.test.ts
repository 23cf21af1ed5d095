/**
 * The v3 stored form (packed.ts): lossless for everything the stages read, and what it costs
 * in structured-clone bytes. Node's v8.serialize is V8's ValueSerializer, which Chromium's
 * IndexedDB uses for values (Blink adds a few header bytes; Node writes typed arrays as host
 * objects, a few bytes more or less than Blink's array-buffer views).
 */
import fc from 'fast-check'
import { serialize } from 'node:v8'
import { describe, expect, it } from 'vitest'
import { compactForStorage, STORED_NEIGHBOURS } from '../events/compact'
import type { Item, StoredEvent } from '../events/types'
import { validateEvent } from '../events/validate'
import { toRecord } from './idb-store'
import { packItem, packVector, unpackItem, unpackRecord, unpackVector } from './packed'

const clock = () => 1_767_225_600_000 // 2026-01-01

/** base64url of `n` pseudo-random bytes (as a feed's f16/i8 payload looks). */
function payload(n: number, seed = 7): string {
  return Buffer.from(new Uint8Array(n).map((_, i) => (i * 151 + seed * 13 + ((i * i) >> 3)) & 255)).toString('base64url')
}
const row = (n: number, id: (j: number) => string): Array<[string, number]> => Array.from({ length: n }, (_, j) => [id(j), Number((0.64 - j * 0.02).toFixed(3))])

/** Shapes of one-item view events as the README describes them (d = 64, 25 feed neighbours). */
const SHAPES: Record<string, Item> = {
  shop: { id: 'sku-104729', category: ['home', 'lighting', 'table lamps'], brand: 'Lumo', price: 39.9, title: 'Brass table lamp with linen shade' },
  synthetic: { id: 'p104729', category: ['Home', 'Lighting', 'Table lamps'], brand: 'Lumavo', price: 41.37, title: 'Lumavo compact table lamp, walnut, LX-4821' },
  movielens: { id: '1219', category: ['Horror', 'Thriller'], title: 'Psycho (1960)' },
}
const VECTORS = { f16: `f16:0a1b2c3d:${payload(2 * 65)}`, i8: `i8:0a1b2c3d:${payload(4 + 65)}` }

function stored(item: Item, vector?: string, neighbours?: Array<[string, number]>): StoredEvent {
  return compactForStorage(validateEvent({ type: 'view_item', items: [{ ...item, ...(vector ? { vector } : {}), ...(neighbours ? { neighbours } : {}) }] }, clock))
}
const plainRecord = (e: StoredEvent) => ({ ...e, itemIds: e.items.map((i) => i.id) })

describe('packed items (schema v3)', () => {
  it('a one-item event with an f16 vector and 8 neighbours is ≤ 512 bytes of structured clone (printed), ~150 fewer than v2', () => {
    const sizes: Record<string, { v2: number; v3: number }> = {}
    for (const [shape, item] of Object.entries(SHAPES)) {
      const nb = row(25, (j) => (shape === 'movielens' ? String(1000 + j * 3737) : shape === 'synthetic' ? `p${100000 + j * 37}` : `sku-${100000 + j * 37}`))
      for (const [enc, vector] of Object.entries(VECTORS)) {
        const e = stored(item, vector, nb)
        expect(e.items[0]!.neighbours).toHaveLength(STORED_NEIGHBOURS)
        const v2 = serialize(plainRecord(e)).length
        const v3 = serialize(toRecord(e)).length
        sizes[`${shape} ${enc}`] = { v2, v3 }
        expect(v3).toBeLessThanOrEqual(512)
        expect(v2 - v3).toBeGreaterThan(100)
      }
    }
    console.log(
      `[packed] structured-clone bytes of a stored one-item view_item record, v2 → v3: ${Object.entries(sizes)
        .map(([k, s]) => `${k} ${s.v2} → ${s.v3}`)
        .join('; ')}`,
    )
  })

  it('round-trips every stored field exactly (generated items, compacted as the engine stores them)', () => {
    const hex = fc.stringMatching(/^[0-9a-f]{8}$/)
    const bytes = fc.uint8Array({ minLength: 1, maxLength: 300 })
    const vector = fc.tuple(fc.constantFrom('f32', 'f16', 'i8'), hex, bytes).map(([e, h, b]) => `${e}:${h}:${Buffer.from(b).toString('base64url')}`)
    const weight = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double({ min: -1, max: 1, noNaN: true }), fc.constantFrom(0, -0, 1e-40, 3.5e38, 0.1235))
    const item = fc.record(
      {
        id: fc.string({ minLength: 1, maxLength: 20 }),
        category: fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 4 }),
        brand: fc.string({ minLength: 1, maxLength: 10 }),
        price: fc.double({ min: 0, max: 1e6, noNaN: true }),
        title: fc.string({ maxLength: 200 }),
        vector,
        neighbours: fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), weight), { maxLength: 30 }),
      },
      { requiredKeys: ['id'], noNullPrototype: true },
    )
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 4 }), (items) => {
        const e = compactForStorage({ id: 'e1', type: 'view_item', timestamp: 1, items: items as Item[] })
        // structuredClone: what IndexedDB hands back is a clone, typed arrays included.
        const back = unpackRecord(structuredClone(toRecord(e))) as StoredEvent & { itemIds?: unknown }
        const { itemIds: _ids, ...rest } = back
        expect(rest).toStrictEqual(e)
        // Object.is per weight: toStrictEqual treats 0 and -0 as equal.
        e.items.forEach((it, i) => it.neighbours?.forEach((p, j) => expect(Object.is(rest.items[i]!.neighbours![j]![1], p[1])).toBe(true)))
      }),
      { numRuns: 300 },
    )
  })

  it('keeps what it cannot restore exactly in the plain form', () => {
    // Non-zero padding bits: decodes, but re-encodes to another string.
    expect(packVector('f16:0a1b2c3d:AB')).toBeNull()
    expect(packVector('f16:0a1b2c3d:AA')).not.toBeNull()
    expect(packItem({ id: 'a', vector: 'f16:0a1b2c3d:AB' })).toEqual(['a', null, null, null, null, 'f16:0a1b2c3d:AB'])
    // Weights with more than 4 significant digits (not compacted): Float64Array, exact.
    const t = packItem({
      id: 'a',
      neighbours: [
        ['b', 0.123456789],
        ['c', 0.5],
      ],
    }) as unknown[]
    expect(t[7]).toBeInstanceOf(Float64Array)
    expect(unpackItem(t)).toEqual({
      id: 'a',
      neighbours: [
        ['b', 0.123456789],
        ['c', 0.5],
      ],
    })
    expect((packItem({ id: 'a', neighbours: [['b', 0.1235]] }) as unknown[])[7]).toBeInstanceOf(Float32Array)
    // A field the tuple has no slot for: the item stays an object.
    const odd = { id: 'a', colour: 'red' } as unknown as Item
    expect(packItem(odd)).toBe(odd)
    expect(packItem({ id: 'a' })).toEqual(['a'])
    expect(unpackVector(packVector(VECTORS.i8)!)).toBe(VECTORS.i8)
    // String lists are joined only where they split back exactly.
    expect(packItem({ id: 'a', category: ['x', 'y z'] })).toEqual(['a', 'x\u0000y z'])
    for (const category of [[], [''], ['x', ''], ['x\u0000y']]) expect((packItem({ id: 'a', category }) as unknown[])[1]).toEqual(category)
    expect(unpackItem(['a', 'x\u0000y z'])).toEqual({ id: 'a', category: ['x', 'y z'] })
    // Records of the first v3 commit (lists as arrays, the type as a name) still read back.
    expect(unpackRecord({ id: 'e', type: 'purchase', timestamp: 1, items: [['a', ['x', 'y']]] })).toEqual({ id: 'e', type: 'purchase', timestamp: 1, items: [{ id: 'a', category: ['x', 'y'] }] })
    expect(unpackRecord({ id: 'e', type: 6, timestamp: 1, items: [{ id: 'a' }] })).toEqual({ id: 'e', type: 'purchase', timestamp: 1, items: [{ id: 'a' }] })
    expect(unpackRecord({ id: 'e', type: 99, timestamp: 1, items: [{ id: 'a' }] })).toEqual({ id: 'e', type: 99, timestamp: 1, items: [{ id: 'a' }] })
  })

  it('hands back a tuple it cannot have written as it is (the store then skips the record)', () => {
    for (const bad of [
      [1],
      ['a', 7],
      ['a', [1, 2]],
      ['a', null, 7],
      ['a', null, null, null, null, new Uint8Array([9, 0, 0, 0, 0])],
      ['a', null, null, null, null, null, ['b'], [0.5]],
      ['a', null, null, null, null, null, ['b', 'c'], new Float32Array(1)],
    ]) {
      expect(unpackItem(bad)).toBe(bad)
    }
    expect(unpackRecord({ id: 'x', items: 'nope' })).toEqual({ id: 'x', items: 'nope' })
  })
})
