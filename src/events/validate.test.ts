import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LocalRankError, ValidationError } from '../errors'
import { EVENT_TYPES, validateEvent } from '.'

const clock = () => 1_700_000_000_000
const fail = (input: unknown): ValidationError => {
  try {
    validateEvent(input, clock)
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError)
    expect(e).toBeInstanceOf(LocalRankError)
    expect((e as ValidationError).code).toBe('invalid_event')
    return e as ValidationError
  }
  throw new Error(`accepted an invalid event: ${JSON.stringify(input)}`)
}
const item = { id: 'sku-1' }

describe('validateEvent: every rule names its field and reason', () => {
  it.each([
    [null, 'event', 'must be an object'],
    [[], 'event', 'must be an object'],
    ['view_item', 'event', 'must be an object'],
    [{}, 'type', 'is required'],
    [{ type: 'page_view', items: [item] }, 'type', 'must be one of'],
    [{ type: 'view_item' }, 'items', 'at least one item'],
    [{ type: 'view_item', items: [] }, 'items', 'at least one item'],
    [{ type: 'view_item', items: 'sku' }, 'items', 'must be an array'],
    [{ type: 'view_item', items: Array(101).fill(item) }, 'items', 'at most 100'],
    [{ type: 'view_item', items: [{}] }, 'items[0].id', 'is required'],
    [{ type: 'view_item', items: [{ id: '' }] }, 'items[0].id', 'must not be empty'],
    [{ type: 'view_item', items: [{ id: 42 }] }, 'items[0].id', 'must be a string'],
    [{ type: 'view_item', items: [{ id: 'x'.repeat(257) }] }, 'items[0].id', 'at most 256'],
    [{ type: 'view_item', items: [item, { id: 'b', price: -1 }] }, 'items[1].price', '≥ 0'],
    [{ type: 'view_item', items: [{ id: 'b', price: Number.NaN }] }, 'items[0].price', 'finite'],
    [{ type: 'view_item', items: [{ id: 'b', price: Infinity }] }, 'items[0].price', 'finite'],
    [{ type: 'view_item', items: [{ id: 'b', price: '9.99' }] }, 'items[0].price', 'finite number'],
    [{ type: 'view_item', items: [{ id: 'b', category: 'lamps' }] }, 'items[0].category', 'array'],
    [{ type: 'view_item', items: [{ id: 'b', category: ['home', 7] }] }, 'items[0].category[1]', 'must be a string'],
    [{ type: 'view_item', items: [{ id: 'b', category: Array(9).fill('c') }] }, 'items[0].category', 'at most 8'],
    [{ type: 'view_item', items: [{ id: 'b', brand: '' }] }, 'items[0].brand', 'must not be empty'],
    [{ type: 'view_item', items: [{ id: 'b', title: 'x'.repeat(513) }] }, 'items[0].title', 'at most 512'],
    [{ type: 'view_item', items: [{ id: 'b', colour: 'red' }] }, 'items[0].colour', 'unknown field'],
    [{ type: 'view_item', items: [item], userId: 'u1' }, 'userId', 'unknown field'],
    [{ type: 'search' }, 'query', 'required'],
    [{ type: 'search', query: '' }, 'query', 'must not be empty'],
    [{ type: 'search', query: 'q'.repeat(513) }, 'query', 'at most 512'],
    [{ type: 'view_item', items: [item], timestamp: 1.5 }, 'timestamp', 'integer'],
    [{ type: 'view_item', items: [item], timestamp: -1 }, 'timestamp', 'no earlier than 2000-01-01'],
    [{ type: 'view_item', items: [item], timestamp: '2024-01-01' }, 'timestamp', 'finite number'],
    [{ type: 'view_item', items: [{ id: 'b', vector: 42 }] }, 'items[0].vector', 'must be a string'],
    [{ type: 'view_item', items: [{ id: 'b', vector: 'f16:abcd1234:' }] }, 'items[0].vector', 'must look like'],
    [{ type: 'view_item', items: [{ id: 'b', vector: 'f64:abcd1234:AAAA' }] }, 'items[0].vector', 'must look like'],
    [{ type: 'view_item', items: [{ id: 'b', vector: 'f16:ABCD1234:AAAA' }] }, 'items[0].vector', 'must look like'],
    [{ type: 'view_item', items: [{ id: 'b', vector: 'f16:abcd1234:AA+A/' }] }, 'items[0].vector', 'must look like'],
    [{ type: 'view_item', items: [{ id: 'b', vector: 'f16:abcd1234:AAAA=' }] }, 'items[0].vector', 'must look like'],
    [{ type: 'view_item', items: [{ id: 'b', vector: `i8:abcd1234:${'A'.repeat(1013)}` }] }, 'items[0].vector', 'at most 1024'],
    [{ type: 'view_item', items: [{ id: 'b', neighbours: 'c' }] }, 'items[0].neighbours', 'must be an array'],
    [{ type: 'view_item', items: [{ id: 'b', neighbours: Array(101).fill(['c', 1]) }] }, 'items[0].neighbours', 'at most 100'],
    [{ type: 'view_item', items: [{ id: 'b', neighbours: [['c', 1], 'd'] }] }, 'items[0].neighbours[1]', 'must be an [id, weight] pair'],
    [{ type: 'view_item', items: [{ id: 'b', neighbours: [['c', 1, 2]] }] }, 'items[0].neighbours[0]', 'must be an [id, weight] pair'],
    [{ type: 'view_item', items: [{ id: 'b', neighbours: [['c']] }] }, 'items[0].neighbours[0]', 'must be an [id, weight] pair'],
    [{ type: 'view_item', items: [{ id: 'b', neighbours: [['', 1]] }] }, 'items[0].neighbours[0]', 'id must be a string'],
    [{ type: 'view_item', items: [{ id: 'b', neighbours: [[7, 1]] }] }, 'items[0].neighbours[0]', 'id must be a string'],
    [{ type: 'view_item', items: [{ id: 'b', neighbours: [['x'.repeat(257), 1]] }] }, 'items[0].neighbours[0]', 'id must be a string'],
    [
      {
        type: 'view_item',
        items: [
          item,
          {
            id: 'b',
            neighbours: [
              ['c', 0.5],
              ['d', Number.NaN],
            ],
          },
        ],
      },
      'items[1].neighbours[1]',
      'weight must be a finite number',
    ],
    [{ type: 'view_item', items: [{ id: 'b', neighbours: [['c', '0.5']] }] }, 'items[0].neighbours[0]', 'weight must be a finite number'],
    [{ type: 'view_item', items: [{ id: 'b', neighbours: [['c', Infinity]] }] }, 'items[0].neighbours[0]', 'weight must be a finite number'],
  ])('%j → %s', (input, field, reason) => {
    const e = fail(input)
    expect(e.field).toBe(field)
    expect(e.reason).toContain(reason)
    expect(e.message).toBe(`${field}: ${e.reason}`)
  })

  it('stamps valid events from the injected clock, with a unique id', () => {
    const a = validateEvent({ type: 'add_to_cart', items: [{ id: 'sku-1', category: ['home', 'lamps'], price: 39, brand: 'Lumo', title: 'Lamp' }] }, clock)
    const b = validateEvent({ type: 'add_to_cart', items: [item] }, clock)
    expect(a.timestamp).toBe(clock())
    expect(a.id).not.toBe(b.id)
    expect(validateEvent({ type: 'search', query: 'red lamp', timestamp: 1_600_000_000_000 }, clock)).toMatchObject({ type: 'search', query: 'red lamp', items: [], timestamp: 1_600_000_000_000 })
  })

  it('keeps an item’s vector and neighbours as given (copies, not the caller’s arrays)', () => {
    const neighbours: Array<[string, number]> = [
      ['sku-2', 0.61],
      ['sku-3', -0.2],
      ['sku-1', 0.1],
    ]
    const vector = `f16:0123abcd:${'AbC-_9'.repeat(10)}`
    const e = validateEvent({ type: 'view_item', items: [{ id: 'sku-1', vector, neighbours }] }, clock)
    expect(e.items[0]).toEqual({ id: 'sku-1', vector, neighbours })
    expect(e.items[0]!.neighbours).not.toBe(neighbours)
    expect(e.items[0]!.neighbours![0]).not.toBe(neighbours[0])
    neighbours[0]![1] = 99
    expect(e.items[0]!.neighbours![0]).toEqual(['sku-2', 0.61])
    expect(validateEvent({ type: 'view_item', items: [{ id: 'b', neighbours: [] }] }, clock).items[0]).toEqual({ id: 'b', neighbours: [] })
    expect(validateEvent({ type: 'view_item', items: [{ id: 'b', vector: `i8:abcd1234:${'A'.repeat(1012)}` }] }, clock).items[0]!.vector).toHaveLength(1024)
  })

  it('ids of events made in one millisecond sort in the order they were tracked (stores order by timestamp, then id)', () => {
    const made = Array.from({ length: 2_000 }, (_, i) => validateEvent({ type: 'view_item', items: [{ id: `sku-${i}` }] }, clock))
    const byStoreOrder = made.slice().sort((x, y) => x.timestamp - y.timestamp || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
    expect(byStoreOrder.map((e) => e.items[0]!.id)).toEqual(made.map((e) => e.items[0]!.id))
    expect(new Set(made.map((e) => e.id)).size).toBe(made.length)
  })

  it('accepts every GA4 event type', () => {
    for (const type of EVENT_TYPES) {
      const e = type === 'search' ? { type, query: 'q' } : { type, items: [item] }
      expect(validateEvent(e, clock).type).toBe(type)
    }
  })

  it('property: anything either validates into a well-formed event or throws a ValidationError (1,000 cases)', () => {
    const itemArb = fc.record(
      {
        id: fc.oneof(fc.string({ maxLength: 4 }), fc.integer()),
        price: fc.oneof(fc.double(), fc.constant(undefined)),
        category: fc.oneof(fc.array(fc.string({ maxLength: 3 }), { maxLength: 9 }), fc.constant(undefined)),
      },
      { requiredKeys: ['id'] },
    )
    const eventArb = fc.oneof(
      fc.record(
        {
          type: fc.oneof(fc.constantFrom(...EVENT_TYPES), fc.string()),
          items: fc.oneof(fc.array(itemArb, { maxLength: 3 }), fc.anything()),
          query: fc.oneof(fc.string({ maxLength: 5 }), fc.constant(undefined)),
          timestamp: fc.oneof(fc.integer(), fc.double(), fc.constant(undefined)),
        },
        { requiredKeys: ['type'] },
      ),
      fc.anything(),
    )
    fc.assert(
      fc.property(eventArb, (input) => {
        let out: ReturnType<typeof validateEvent>
        try {
          out = validateEvent(input, clock)
        } catch (e) {
          expect(e).toBeInstanceOf(ValidationError)
          return
        }
        expect(EVENT_TYPES).toContain(out.type)
        expect(Number.isInteger(out.timestamp) && out.timestamp >= 0).toBe(true)
        for (const it of out.items) {
          expect(typeof it.id === 'string' && it.id.length > 0).toBe(true)
          if (it.price !== undefined) expect(Number.isFinite(it.price) && it.price >= 0).toBe(true)
        }
        expect(out.type === 'search' ? typeof out.query === 'string' : out.items.length > 0).toBe(true)
      }),
      { numRuns: 1000 },
    )
  })
})
